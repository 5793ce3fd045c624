/* model.h — the model file (man/htr-model.5): a network with everything
 * needed to run it.
 *
 * Layout, all integers little-endian, written byte by byte:
 *   "HTRM", u32 version (1),
 *   u32 length + VGSL string (canonical, output class count as built),
 *   u32 nclass, then nclass symbols, each u32 length + UTF-8 bytes
 *     (CTC models: symbol 0 is the blank, stored as an empty string),
 *   u32 input height, u32 level (0 char, 1 word, 2 line),
 *   u32 length + provenance (free UTF-8 text: data, epochs, validation
 *     error...),
 *   u64 count + count f32 parameters (htr_net_nstate: trainable parameters
 *     then batch-norm running statistics),
 *   u32 CRC32 (zlib) of every byte before it.
 * A corrupt, truncated or foreign file is a one-line error.
 */
#ifndef HTR_MODEL_H
#define HTR_MODEL_H

#include <stddef.h>

struct htr_net;

/* Recognition level (on disk: append only). */
enum htr_level {
	HTR_LEVEL_CHAR = 0,
	HTR_LEVEL_WORD = 1,
	HTR_LEVEL_LINE = 2,
};

#define HTR_MODEL_CLASSMAX 65536
#define HTR_MODEL_PROVMAX  65536    /* bytes of provenance text */

struct htr_model {
	struct htr_net *net;    /* owned */
	int nclass;             /* == htr_net_nclass(net) */
	char **alphabet;        /* [nclass] UTF-8 strings, owned; [0] = "" */
	int height;             /* input height (== htr_net_input_height) */
	int level;              /* enum htr_level */
	char *provenance;       /* owned, never NULL */
};

/* Wraps net (taking ownership, also on failure) with copies of alphabet
 * ([nclass] strings, nclass must equal htr_net_nclass(net)) and provenance
 * (NULL = ""). NULL + htr_fail() on error. */
struct htr_model *htr_model_new(struct htr_net *net,
    const char *const *alphabet, int nclass, int level,
    const char *provenance);
/* Replaces the provenance text (copied). */
int htr_model_set_provenance(struct htr_model *m, const char *text);
void htr_model_free(struct htr_model *m);

/* Atomic save (atomic.h).  Returns 0 or -1 (htr_fail naming path). */
int htr_model_save(const struct htr_model *m, const char *path);
/* NULL + htr_fail("path: ...") for a missing, foreign, corrupt or
 * truncated file, with a hint. */
struct htr_model *htr_model_load(const char *path);

/* The mean of n models' weights and batch-norm statistics (checkpoints
 * of one run, or models fine-tuned from one model): a model that often
 * reads better than each of them.  They must have the same network
 * string (dropout rates aside), alphabet and level; the result takes the
 * first one's network string and provenance, with a line naming the
 * files appended.  NULL + htr_fail()
 * naming the file that does not fit. */
struct htr_model *htr_model_average(const char *const *paths, int n);

/* Level names "char", "word", "line" <-> enum; -1 if unknown. */
const char *htr_level_name(int level);
int htr_level_parse(const char *name);

#endif
