/* cli.h — what every htr program does the same way: option parsing with
 * libnetpbm's shhopt, error reporting, exit codes, opening inputs and
 * checking stdout at exit.  Programs only; the library never exits.
 *
 * Exit status: 0 success, 1 bad input or I/O failure, 2 usage error. */
#ifndef HTR_CLI_H
#define HTR_CLI_H

#include <stdio.h>
#include <shhopt.h>

/* Upper bound on options per program (the table needs one spare entry). */
#define HTR_CLI_MAXOPT 64

/* Declares the option table in a function:  HTR_CLI_OPTIONS;  then
 * OPTENT3(0, "name", OPT_..., &var, &spec, 0); ...; htr_cli_parse(...). */
#define HTR_CLI_OPTIONS \
	optEntry option_def[HTR_CLI_MAXOPT]; \
	unsigned int option_def_index = 0; \
	OPTENTINIT

extern const char *htr_prog;

/* Records the program name and its one-line usage synopsis. */
void htr_cli_init(const char *prog, const char *usage);
/* Parses options (single or double dash, unique prefixes) and removes them
 * from argv.  Bad options exit 2 with a usage line.  -help prints usage. */
void htr_cli_parse(int *argc, char **argv, optEntry *opts);
/* "prog: message" + usage on stderr, exit 2. */
_Noreturn void htr_cli_usage(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
/* "prog: what: <library error>" on stderr, exit 1. */
_Noreturn void htr_cli_die(const char *what);
/* "prog: message" on stderr, exit 1. */
_Noreturn void htr_cli_fatal(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
/* Usage error (exit 2) "OPT must be 0..1" unless 0 <= v <= 1 (a
 * confidence threshold such as -min-conf). */
void htr_cli_unit(const char *opt, double v);
/* Checks an ensemble's -mix-weight w (spec: it was given) against -mix
 * (mix, NULL when not given): usage error (exit 2) when it is given
 * without -mix or lies outside [0, 1]. */
void htr_cli_mix_weight(const char *mix, double w, unsigned int spec);
/* Opens an input: NULL or "-" is stdin.  Dies (exit 1) if it cannot. */
FILE *htr_cli_open(const char *path);
/* Display name of an input path ("stdin" for NULL or "-"). */
const char *htr_cli_name(const char *path);
/* Flushes and checks stdout (a full disk is an error); returns 0 or dies. */
int htr_cli_finish(void);

#endif
