/* Compiled inner loops of the repair step (optional; see handouts/repair/speedups.py).
 *
 * Each function here does exactly what a pure-Python function beside it does, with the
 * same Python objects and the same floating-point operations in the same order (built with
 * -ffp-contract=off, so no multiply-add is fused), so the repair's output is the same to the
 * last bit with or without this module; tests/test_repair_speedups.py compares the two.
 *
 *   tokenize(text, Token)         tokens.tokenize: the same tokens as tokens._TOKEN
 *   segment(...)                  statistical.Finder._segment: the bigram decoder of one run, whole
 *   word_runs(toks)               statistical._word_runs, as a list
 *   count_runs(toks, words, pairs) statistical.DocumentCounts.count: a paragraph's words and pairs counted
 *   group_alts(...)               statistical.Finder._candidates' loop over a group of neighbours
 *   may_replace(...)              statistical.Finder._may_replace (what segment works out; for the tests)
 *   run_keys(toks, starts, heads) statistical._run_keys: each run of words with its key
 *   screen(...)                   scan._screen: the tokens each loop of scan.scan looks at
 *   lm_scores(...)                statistical.Finder._lm_segment's loop over a word's candidates
 *   lm_run(...)                   statistical.Finder._lm_scored: the language model's reading of a run
 *   static_candidates(w, ctx)     statistical.Finder._static_candidates: a word's candidates for that reading
 *   trigram(model, library, at)   lm.TrigramModel.prob: the trigram library's own C function, called
 *                                 without going through its Python binding
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__unix__) || defined(__APPLE__)
#include <dlfcn.h>
#define HAVE_DLFCN 1
#endif

/* ------------------------------------------------------------------------------------ */
/* tokenize */

static PyObject *KIND_W, *KIND_P, *KIND_X, *EMPTY, *CURLY, *STRAIGHT;

/* The Token class's slot offsets, so that a token is made without running its Python
   __init__; -1 when the class is not a plain slots class (then it is called instead). */
static PyObject *token_type = NULL;
static Py_ssize_t off[5];
static int direct = 0;

static int
setup_token(PyObject *type)
{
    static const char *names[5] = {"kind", "start", "end", "text", "key"};
    if (type == token_type)
        return 0;
    if (!PyType_Check(type)) {
        PyErr_SetString(PyExc_TypeError, "Token must be a class");
        return -1;
    }
    direct = 1;
    for (int i = 0; i < 5; i++) {
        PyObject *d = PyObject_GetAttrString(type, names[i]);
        if (d == NULL)
            return -1;
        if (Py_IS_TYPE(d, &PyMemberDescr_Type) && ((PyMemberDescrObject *)d)->d_member->type == T_OBJECT_EX
            && ((PyMemberDescrObject *)d)->d_common.d_type == (PyTypeObject *)type)
            off[i] = ((PyMemberDescrObject *)d)->d_member->offset;
        else
            direct = 0;
        Py_DECREF(d);
    }
    /* a subclass's __init__ or __new__ of its own would be skipped: call the class then */
    if (((PyTypeObject *)type)->tp_new != PyBaseObject_Type.tp_new)
        direct = 0;
    Py_XINCREF(type);
    Py_XSETREF(token_type, type);
    return 0;
}

/* steals the references to text and key */
static PyObject *
make_token(PyObject *kind, Py_ssize_t start, Py_ssize_t end, PyObject *text, PyObject *key)
{
    PyObject *s = NULL, *e = NULL, *tok = NULL;
    if (text == NULL || key == NULL)
        goto done;
    s = PyLong_FromSsize_t(start);
    e = PyLong_FromSsize_t(end);
    if (s == NULL || e == NULL)
        goto done;
    if (direct) {
        PyTypeObject *tp = (PyTypeObject *)token_type;
        tok = tp->tp_alloc(tp, 0);
        if (tok == NULL)
            goto done;
        PyObject *values[5] = {kind, s, e, text, key};
        for (int i = 0; i < 5; i++) {
            Py_INCREF(values[i]);
            *(PyObject **)((char *)tok + off[i]) = values[i];
        }
    } else {
        PyObject *args[5] = {kind, s, e, text, key};
        tok = PyObject_Vectorcall(token_type, args, 5, NULL);
    }
done:
    Py_XDECREF(s);
    Py_XDECREF(e);
    Py_XDECREF(text);
    Py_XDECREF(key);
    return tok;
}

static PyObject *
key_of(PyObject *word)
{
    /* word.lower().replace("’", "'") */
    if (PyUnicode_IS_ASCII(word)) {
        Py_ssize_t n = PyUnicode_GET_LENGTH(word);
        const Py_UCS1 *d = PyUnicode_1BYTE_DATA(word);
        Py_ssize_t i;
        for (i = 0; i < n; i++)
            if (d[i] >= 'A' && d[i] <= 'Z')
                break;
        if (i == n) {
            Py_INCREF(word);
            return word;
        }
        PyObject *out = PyUnicode_New(n, 127);
        if (out == NULL)
            return NULL;
        Py_UCS1 *o = PyUnicode_1BYTE_DATA(out);
        for (i = 0; i < n; i++)
            o[i] = (d[i] >= 'A' && d[i] <= 'Z') ? d[i] + 32 : d[i];
        return out;
    }
    PyObject *low = PyObject_CallMethod(word, "lower", NULL);
    if (low == NULL)
        return NULL;
    PyObject *out = PyUnicode_Replace(low, CURLY, STRAIGHT, -1);
    Py_DECREF(low);
    return out;
}

#define AT(k) PyUnicode_READ(kind, data, (k))

/* what Para.of asks of each token: its kind (0 w, 1 p, 2 x), span, and its one character
   (-1 when it has more) */
typedef struct {
    int kind;
    Py_ssize_t start, end;
    long ch;
} Tok;

typedef struct {
    Tok *items;
    Py_ssize_t size, cap;
} Toks;

static int
toks_add(Toks *t, int kind, Py_ssize_t start, Py_ssize_t end, long ch)
{
    if (t == NULL)
        return 0;
    if (t->size == t->cap) {
        Py_ssize_t cap = t->cap ? t->cap * 2 : 64;
        Tok *items = PyMem_Realloc(t->items, sizeof(Tok) * cap);
        if (items == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        t->items = items;
        t->cap = cap;
    }
    t->items[t->size].kind = kind;
    t->items[t->size].start = start;
    t->items[t->size].end = end;
    t->items[t->size].ch = ch;
    t->size++;
    return 0;
}

static PyObject *
tokens_of(PyObject *text, Toks *record)
{
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    PyObject *out = PyList_New(0);
    if (out == NULL)
        return NULL;
    Py_ssize_t i = 0;
    while (i < n) {
        Py_UCS4 c = AT(i);
        Py_ssize_t j = -1;
        /* x: `[^`\n]*` | https?://[^\s)\]>]+ | \]\([^)\s]*\) | <[A-Za-z/!][^<>\n]*> */
        if (c == '`') {
            Py_ssize_t k = i + 1;
            while (k < n && AT(k) != '`' && AT(k) != '\n')
                k++;
            if (k < n && AT(k) == '`')
                j = k + 1;
        } else if (c == 'h') {
            Py_ssize_t k = i;
            if (k + 4 <= n && AT(k + 1) == 't' && AT(k + 2) == 't' && AT(k + 3) == 'p') {
                k += 4;
                if (k < n && AT(k) == 's')
                    k++;
                if (k + 3 <= n && AT(k) == ':' && AT(k + 1) == '/' && AT(k + 2) == '/') {
                    Py_ssize_t m = k + 3;
                    while (m < n) {
                        Py_UCS4 d = AT(m);
                        if (Py_UNICODE_ISSPACE(d) || d == ')' || d == ']' || d == '>')
                            break;
                        m++;
                    }
                    if (m > k + 3)
                        j = m;
                }
            }
        } else if (c == ']') {
            if (i + 1 < n && AT(i + 1) == '(') {
                Py_ssize_t k = i + 2;
                while (k < n && AT(k) != ')' && !Py_UNICODE_ISSPACE(AT(k)))
                    k++;
                if (k < n && AT(k) == ')')
                    j = k + 1;
            }
        } else if (c == '<') {
            if (i + 1 < n) {
                Py_UCS4 d = AT(i + 1);
                if ((d >= 'A' && d <= 'Z') || (d >= 'a' && d <= 'z') || d == '/' || d == '!') {
                    Py_ssize_t k = i + 2;
                    while (k < n && AT(k) != '<' && AT(k) != '>' && AT(k) != '\n')
                        k++;
                    if (k < n && AT(k) == '>')
                        j = k + 1;
                }
            }
        }
        PyObject *tok;
        int tok_kind;
        if (j >= 0) {
            tok_kind = 2;
            Py_INCREF(EMPTY);
            tok = make_token(KIND_X, i, j, PyUnicode_Substring(text, i, j), EMPTY);
        } else if (Py_UNICODE_ISALNUM(c)) {
            /* w: [^\W_]+(?:['’\-][^\W_]+)* */
            Py_ssize_t k = i + 1;
            for (;;) {
                while (k < n && Py_UNICODE_ISALNUM(AT(k)))
                    k++;
                if (k + 1 < n) {
                    Py_UCS4 d = AT(k);
                    if ((d == '\'' || d == 0x2019 || d == '-') && Py_UNICODE_ISALNUM(AT(k + 1))) {
                        k += 2;
                        continue;
                    }
                }
                break;
            }
            j = k;
            tok_kind = 0;
            PyObject *word = PyUnicode_Substring(text, i, j);
            tok = make_token(KIND_W, i, j, word, word ? key_of(word) : NULL);
        } else if (!Py_UNICODE_ISSPACE(c)) {
            j = i + 1;
            tok_kind = 1;
            PyObject *word = PyUnicode_Substring(text, i, j);
            tok = make_token(KIND_P, i, j, word, word ? key_of(word) : NULL);
        } else {
            i++;
            continue;
        }
        if (tok == NULL || PyList_Append(out, tok) < 0
            || toks_add(record, tok_kind, i, j, j == i + 1 ? (long)c : -1) < 0) {
            Py_XDECREF(tok);
            Py_DECREF(out);
            return NULL;
        }
        Py_DECREF(tok);
        i = j;
    }
    return out;
}

static PyObject *
tokenize(PyObject *self, PyObject *args)
{
    PyObject *text, *type;
    if (!PyArg_ParseTuple(args, "UO:tokenize", &text, &type))
        return NULL;
    if (setup_token(type) < 0)
        return NULL;
    return tokens_of(text, NULL);
}

/* tokens.Para.of: the tokens, which open a sentence, which are in a heading */

static int
is_one_of(long ch, const char *set)
{
    return ch > 0 && ch < 128 && strchr(set, (int)ch) != NULL;
}

static int
opener(long ch)
{
    /* OPENERS = "\"“‘'([*_" */
    return is_one_of(ch, "\"'([*_") || ch == 0x201C || ch == 0x2018;
}

static PyObject *
para(PyObject *self, PyObject *args)
{
    PyObject *text, *type;
    if (!PyArg_ParseTuple(args, "UO:para", &text, &type))
        return NULL;
    if (setup_token(type) < 0)
        return NULL;
    Toks t = {NULL, 0, 0};
    PyObject *toks = tokens_of(text, &t);
    PyObject *starts = NULL, *heading = NULL, *out = NULL;
    char *line_first = NULL;
    if (toks == NULL)
        goto done;
    Py_ssize_t n = t.size;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    line_first = PyMem_Malloc(n ? n : 1);
    starts = PyList_New(n);
    heading = PyList_New(n);
    if (line_first == NULL || starts == NULL || heading == NULL) {
        if (line_first == NULL)
            PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        int first = i == 0;
        for (Py_ssize_t k = i ? t.items[i - 1].end : 0; !first && k < t.items[i].start; k++)
            if (AT(k) == '\n')
                first = 1;
        line_first[i] = (char)first;
    }
    int in_heading = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (line_first[i])
            in_heading = t.items[i].ch == '#' || t.items[i].ch == '|';
        PyObject *v = in_heading ? Py_True : Py_False;
        Py_INCREF(v);
        PyList_SET_ITEM(heading, i, v);
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        int start = 0;
        Py_ssize_t k = i - 1;
        while (k >= 0 && opener(t.items[k].ch) && !line_first[k])
            k--;
        if (k < 0)
            start = 1;
        else {
            long prev = t.items[k].ch;
            if (is_one_of(prev, ".!?:") || prev == '|')
                start = 1;
            else if (is_one_of(prev, "#-*+>|")) {
                Py_ssize_t j = k;
                while (j > 0 && !line_first[j] && is_one_of(t.items[j - 1].ch, "#-*+>|"))
                    j--;
                start = line_first[j];
            } else if (line_first[i] && t.items[k].kind == 1 && prev == ')')
                start = 1;
            else if (k == i - 1 && line_first[i] && t.items[k].kind == 2)
                start = 1;
            else if (k < i - 1 && line_first[k + 1])
                start = 1;
        }
        PyObject *v = start ? Py_True : Py_False;
        Py_INCREF(v);
        PyList_SET_ITEM(starts, i, v);
    }
    out = PyTuple_Pack(3, toks, starts, heading);
done:
    PyMem_Free(t.items);
    PyMem_Free(line_first);
    Py_XDECREF(toks);
    Py_XDECREF(starts);
    Py_XDECREF(heading);
    return out;
}

/* ------------------------------------------------------------------------------------ */
/* pair_score: statistical.Scorer._trans, from the counts (counts.Model) */

/* What Scorer._trans reads (Scorer.counts): the model's words and their logs' cache, its pairs,
   and the scorer's constants */
typedef struct {
    PyObject *words, *logs, *following, *none;
    double min_word, log_total, unlisted, shift;
} Counts;

static int
counts_of(PyObject *tuple, Counts *m)
{
    return PyArg_ParseTuple(tuple, "O!O!O!O!dddd:the scorer's counts", &PyDict_Type, &m->words, &PyDict_Type,
                            &m->logs, &PyDict_Type, &m->following, &PyDict_Type, &m->none, &m->min_word,
                            &m->log_total, &m->unlisted, &m->shift) ? 0 : -1;
}

/* math.log(int(count)) for a count as listed (an int, or a str in an older cache): 0, or 1 when it is not a positive count
   (then the Python code answers, or raises) */
static int
log_count(PyObject *count, double *out)
{
    double x;
    if (PyLong_CheckExact(count))  /* as counts.py keeps them: math.log(count) */
        x = PyLong_AsDouble(count);
    else {
        if (!PyUnicode_CheckExact(count))
            return 1;
        PyObject *n = PyLong_FromUnicodeObject(count, 10);
        if (n == NULL) {
            PyErr_Clear();
            return 1;
        }
        x = PyLong_AsDouble(n);
        Py_DECREF(n);
    }
    if (x == -1.0 && PyErr_Occurred()) {
        PyErr_Clear();
        return 1;
    }
    if (!(x > 0.0) || !isfinite(x))
        return 1;
    *out = log(x);
    return 0;
}

/* counts.Model.word(w), through and into its cache: -1 error, 1 cannot, 0 done (*found: listed) */
static int
word_log(Counts *m, PyObject *w, int *found, double *out)
{
    PyObject *v = PyDict_GetItemWithError(m->logs, w);
    if (v != NULL) {
        if (v == Py_None) {
            *found = 0;
            return 0;
        }
        if (!PyFloat_CheckExact(v))
            return 1;
        *found = 1;
        *out = PyFloat_AS_DOUBLE(v);
        return 0;
    }
    if (PyErr_Occurred())
        return -1;
    PyObject *count = PyDict_GetItemWithError(m->words, w);
    PyObject *value;
    if (count == NULL) {
        if (PyErr_Occurred())
            return -1;
        *found = 0;
        value = Py_None;
        Py_INCREF(value);
    } else {
        int err = log_count(count, out);
        if (err)
            return err;
        *found = 1;
        value = PyFloat_FromDouble(*out);
        if (value == NULL)
            return -1;
    }
    if (PyDict_GET_SIZE(m->logs) > 500000)
        PyDict_Clear(m->logs);
    int err = PyDict_SetItem(m->logs, w, value);
    Py_DECREF(value);
    return err;
}

/* Scorer._trans(prev, w): -1 error, 1 cannot (the Python method answers), 0 done */
static int
score_pair(Counts *m, PyObject *prev, PyObject *w, double *out)
{
    int found, err;
    double lw, lp;
    if ((err = word_log(m, w, &found, &lw)) != 0)
        return err;
    if (!found)
        lw = m->min_word;
    if (prev == Py_None) {
        *out = lw - m->log_total;
        return 0;
    }
    if ((err = word_log(m, prev, &found, &lp)) != 0)
        return err;
    if (!found)
        lp = m->min_word;
    PyObject *after = PyDict_GetItemWithError(m->following, prev);
    if (after == NULL && PyErr_Occurred())
        return -1;
    PyObject *count = after == NULL ? NULL : PyDict_GetItemWithError(after, w);
    if (count == NULL && PyErr_Occurred())
        return -1;
    double pair;
    if (count == NULL) {
        double x = lp + lw - m->log_total;
        pair = m->unlisted < x ? m->unlisted : x;  /* min(x, unlisted) */
    } else {
        if ((err = log_count(count, &pair)) != 0)
            return err;
        pair = pair - m->shift;
    }
    *out = pair - lp;
    return 0;
}

static PyObject *
pair_score(PyObject *self, PyObject *args)
{
    PyObject *tuple, *prev, *w;
    Counts m;
    double v;
    if (!PyArg_ParseTuple(args, "O!OU:pair_score", &PyTuple_Type, &tuple, &prev, &w) || counts_of(tuple, &m) < 0)
        return NULL;
    if (prev != Py_None && !PyUnicode_Check(prev)) {
        PyErr_SetString(PyExc_TypeError, "pair_score: the first word is a str or None");
        return NULL;
    }
    int err = score_pair(&m, prev, w, &v);
    if (err < 0)
        return NULL;
    if (err > 0)
        Py_RETURN_NONE;
    return PyFloat_FromDouble(v);
}

/* ------------------------------------------------------------------------------------ */
/* segment: Finder._segment, the bigram decoder of one run of words, whole */

/* A token's field by its slot (kind 0, start 1, end 2, text 3, key 4), borrowed; through
   getattr when the token is not of the class setup_token read (a new reference then, kept in
   *hold) */
static PyObject *
tok_field(PyObject *tok, int i, PyObject **hold)
{
    static const char *names[5] = {"kind", "start", "end", "text", "key"};
    if (direct && (PyObject *)Py_TYPE(tok) == token_type) {
        PyObject *v = *(PyObject **)((char *)tok + off[i]);
        if (v == NULL)
            PyErr_Format(PyExc_AttributeError, "a token has no %s", names[i]);
        return v;
    }
    PyObject *v = PyObject_GetAttrString(tok, names[i]);
    Py_XSETREF(*hold, v);
    return v;
}

/* What Finder._segment reads, the same objects for every run of a document (Finder._context) */
typedef struct {
    PyObject *known, *bits, *guarded, *common, *replaceable, *firsts, *two, *two_words, *cands, *candidates, *following, *none;
    PyObject *doc_words, *doc_pairs, *trans_cache, *trans, *inners, *counts_tuple;
    Py_ssize_t limit;
    double document_word, document_pair;
    Counts counts;
    int counts_read;  /* counts parsed from counts_tuple, on the first miss */
} Ctx;

/* Scorer.trans(prev, w): its cache, read here with key (prev, w), a new reference this consumes;
   the method on a miss (which fills it) */
static int
trans_keyed(Ctx *c, PyObject *key, PyObject *prev, PyObject *w, double *out)
{
    PyObject *v = PyDict_GetItemWithError(c->trans_cache, key);
    Py_XINCREF(v);
    if (v == NULL) {
        if (PyErr_Occurred()) {
            Py_DECREF(key);
            return -1;
        }
        /* Scorer.trans on a miss: the score worked out here and kept as it keeps it */
        double d;
        int err = c->counts_read ? 0 : counts_of(c->counts_tuple, &c->counts);
        if (err == 0) {
            c->counts_read = 1;
            err = score_pair(&c->counts, prev, w, &d);
        }
        if (err == 0) {
            if (PyDict_GET_SIZE(c->trans_cache) > 200000)
                PyDict_Clear(c->trans_cache);
            v = PyFloat_FromDouble(d);
            if (v == NULL || PyDict_SetItem(c->trans_cache, key, v) < 0)
                err = -1;
        }
        if (err > 0) {  /* what only the Python method can say */
            PyObject *args[2] = {prev, w};
            v = PyObject_Vectorcall(c->trans, args, 2, NULL);
            err = v == NULL ? -1 : 0;
        }
        if (err < 0) {
            Py_XDECREF(v);
            Py_DECREF(key);
            return -1;
        }
    }
    Py_DECREF(key);
    double d = PyFloat_AsDouble(v);
    Py_DECREF(v);
    if (d == -1.0 && PyErr_Occurred())
        return -1;
    *out = d;
    return 0;
}

/* Scorer.trans(prev, w), as above */
static int
trans_of(Ctx *c, PyObject *prev, PyObject *w, double *out)
{
    PyObject *key = PyTuple_Pack(2, prev, w);
    if (key == NULL)
        return -1;
    return trans_keyed(c, key, prev, w, out);
}

/* d.get(key, 0), a count */
static int
count_of(PyObject *d, PyObject *key, long *out)
{
    PyObject *v = PyDict_GetItemWithError(d, key);
    if (v == NULL) {
        *out = 0;
        return PyErr_Occurred() ? -1 : 0;
    }
    long n = PyLong_AsLong(v);
    if (n == -1 && PyErr_Occurred())
        return -1;
    *out = n;
    return 0;
}

/* Finder._word_bonus(w, own) */
static int
word_bonus(Ctx *c, PyObject *w, int own, double *out)
{
    long n;
    if (count_of(c->doc_words, w, &n) < 0)
        return -1;
    n -= own;
    *out = n > 0 ? log1p(c->document_word * (double)n) : 0.0;
    return 0;
}

/* trans(a, b) plus the document's bonus for the pair: the step of Finder._decode */
static int
step_of(Ctx *c, PyObject *a, PyObject *b, int own, double *out)
{
    PyObject *key = PyTuple_Pack(2, a, b);  /* the key of both the document's pairs and the scores' cache */
    if (key == NULL)
        return -1;
    long n;
    if (count_of(c->doc_pairs, key, &n) < 0) {
        Py_DECREF(key);
        return -1;
    }
    n -= own;
    double t;
    if (trans_keyed(c, key, a, b, &t) < 0)
        return -1;
    *out = t + (n > 0 ? log1p(c->document_pair * (double)n) : 0.0);
    return 0;
}

/* Finder._inner(words) for a candidate of several words, through its cache for the document (c->inners):
   the log probability of its word pairs plus its words' use in the document, each summed as Python's
   sum() sums floats (from 0, left to right) */
static int
inner_score(Ctx *c, PyObject *words, double *out)
{
    PyObject *v = PyDict_GetItemWithError(c->inners, words);
    if (v != NULL) {
        *out = PyFloat_AsDouble(v);
        return *out == -1.0 && PyErr_Occurred() ? -1 : 0;
    }
    if (PyErr_Occurred())
        return -1;
    Py_ssize_t n = PyTuple_GET_SIZE(words);
    double pairs = 0.0, used = 0.0, t;
    for (Py_ssize_t k = 0; k + 1 < n; k++) {
        if (trans_of(c, PyTuple_GET_ITEM(words, k), PyTuple_GET_ITEM(words, k + 1), &t) < 0)
            return -1;
        pairs += t;
    }
    for (Py_ssize_t k = 0; k < n; k++) {
        if (word_bonus(c, PyTuple_GET_ITEM(words, k), 0, &t) < 0)
            return -1;
        used += t;
    }
    *out = pairs + used;
    v = PyFloat_FromDouble(*out);
    if (v == NULL)
        return -1;
    int err = PyDict_SetItem(c->inners, words, v);
    Py_DECREF(v);
    return err;
}

/* an option of the decoding: the word as written (kind NULL) or a candidate */
typedef struct {
    Py_ssize_t start, length;
    PyObject *words, *first, *last, *kind;  /* borrowed: the candidate lists are held */
    double cost, inner, f, g;
    Py_ssize_t back, slot, ins;  /* ins: where its steps start in the steps array */
} Opt;

typedef struct {
    long pairs, used;
    double cost;
    Py_ssize_t n;
} Ranked;

static int
cmp_ranked(const void *pa, const void *pb)
{
    /* the order of the tuples (-pairs, -used, cost, n) */
    const Ranked *a = pa, *b = pb;
    if (a->pairs != b->pairs)
        return a->pairs > b->pairs ? -1 : 1;
    if (a->used != b->used)
        return a->used > b->used ? -1 : 1;
    if (a->cost < b->cost)
        return -1;
    if (a->cost > b->cost)
        return 1;
    return a->n < b->n ? -1 : a->n > b->n;
}

/* the n-th candidate of the two lists one after the other (alts + more) */
static PyObject *
alt_at(PyObject *alts, PyObject *more, Py_ssize_t n)
{
    Py_ssize_t m = alts ? PyList_GET_SIZE(alts) : 0;
    return n < m ? PyList_GET_ITEM(alts, n) : PyList_GET_ITEM(more, n - m);
}

/* Finder._prune: the kept candidates of position p, appended to opts; returns how many, -1 on error.
   after_left: following.get(left, {}); own: the listed pairs the word as written forms */
static Py_ssize_t
prune(Ctx *c, PyObject *alts, PyObject *more, PyObject **keys, Py_ssize_t nk, Py_ssize_t p, PyObject *after_left,
      long own, Opt *opts, Ranked *ranked)
{
    Py_ssize_t count = (alts ? PyList_GET_SIZE(alts) : 0) + (more ? PyList_GET_SIZE(more) : 0);
    PyObject *right1 = p + 1 < nk ? keys[p + 1] : NULL;
    Py_ssize_t m = 0;
    for (Py_ssize_t n = 0; n < count; n++) {
        PyObject *alt = alt_at(alts, more, n);
        if (!PyTuple_Check(alt) || PyTuple_GET_SIZE(alt) != 7) {
            PyErr_SetString(PyExc_TypeError, "a candidate is a tuple of 7");
            return -1;
        }
        PyObject *first = PyTuple_GET_ITEM(alt, 1);
        Py_ssize_t length = PyLong_AsSsize_t(PyTuple_GET_ITEM(alt, 3));
        if (length == -1 && PyErr_Occurred())
            return -1;
        double cost = PyFloat_AsDouble(PyTuple_GET_ITEM(alt, 4));
        if (cost == -1.0 && PyErr_Occurred())
            return -1;
        PyObject *after_last = PyTuple_GET_ITEM(alt, 6);
        PyObject *right = length == 1 ? right1 : (p + length < nk ? keys[p + length] : NULL);
        long u;
        if (count_of(c->doc_words, first, &u) < 0)
            return -1;
        int used = u > 0;
        /* kept when pairs > own or (used and pairs >= own and (pairs or used)), that is when pairs
           reaches need: a pair that could not bring it there is not looked up (each look-up is in a
           dictionary of its own, spread over memory), and a candidate not kept is not ranked */
        long need = used ? own : own + 1;
        if (1 + (right != NULL) < need)
            continue;
        int a = PySequence_Contains(after_left, first);
        if (a < 0)
            return -1;
        if (a + (right != NULL) < need)
            continue;
        int b = 0;
        if (right != NULL) {
            b = PySequence_Contains(after_last, right);
            if (b < 0)
                return -1;
        }
        long pairs = a + b;
        if (pairs >= need) {
            ranked[m].pairs = pairs;
            ranked[m].used = used;
            ranked[m].cost = cost;
            ranked[m].n = n;
            m++;
        }
    }
    qsort(ranked, m, sizeof(Ranked), cmp_ranked);
    if (m > c->limit)
        m = c->limit < 0 ? 0 : c->limit;
    for (Py_ssize_t i = 0; i < m; i++) {
        PyObject *alt = alt_at(alts, more, ranked[i].n);
        Opt *o = &opts[i];
        o->start = p;
        o->words = PyTuple_GET_ITEM(alt, 0);
        o->first = PyTuple_GET_ITEM(alt, 1);
        o->last = PyTuple_GET_ITEM(alt, 2);
        o->length = PyLong_AsSsize_t(PyTuple_GET_ITEM(alt, 3));
        o->cost = ranked[i].cost;
        o->kind = PyTuple_GET_ITEM(alt, 5);
        if (!PyTuple_Check(o->words)) {
            PyErr_SetString(PyExc_TypeError, "a candidate's words are a tuple");
            return -1;
        }
        if (PyTuple_GET_SIZE(o->words) == 1) {
            double bonus;
            if (word_bonus(c, PyTuple_GET_ITEM(o->words, 0), 0, &bonus) < 0)
                return -1;
            o->inner = 0.0 + bonus;
        } else if (inner_score(c, o->words, &o->inner) < 0)  /* a candidate of several words */
            return -1;
    }
    return m;
}

/* a suspect found: (start, length, words, kind, margin) appended to out */
static int
found(PyObject *out, Opt *o, double margin)
{
    PyObject *t = Py_BuildValue("(nnOOd)", o->start, o->length, o->words, o->kind, margin);
    if (t == NULL)
        return -1;
    int err = PyList_Append(out, t);
    Py_DECREF(t);
    return err;
}

/* Finder._decode_one: one position of one-word candidates between two fixed words */
static int
decode_one(Ctx *c, Opt *before, Opt *keep, Opt *after, Opt *alts, Py_ssize_t count, PyObject *out)
{
    PyObject *a = before->first, *w = keep->first, *b = after->first;
    double k_inner = keep->inner, b_inner = after->inner, t, step;
    if (trans_of(c, Py_None, a, &t) < 0)
        return -1;
    double left_f = t + (before->inner - 0.0);
    if (step_of(c, a, w, 1, &step) < 0)
        return -1;
    double keep_f = left_f + step + (k_inner - 0.0);
    if (step_of(c, w, b, 1, &step) < 0)
        return -1;
    double keep_g = step + b_inner - 0.0 + 0.0;
    double best = keep_f + step, back_f = 0.0, back_g = 0.0;
    Opt *back = NULL;
    for (Py_ssize_t i = 0; i < count; i++) {
        Opt *o = &alts[i];
        if (step_of(c, a, o->first, 0, &step) < 0)
            return -1;
        double f = left_f + step + (o->inner - o->cost);
        if (step_of(c, o->first, b, 0, &step) < 0)
            return -1;
        double v = f + step;
        if (v > best) {
            best = v;
            back = o;
            back_f = f;
            back_g = step + b_inner - 0.0 + 0.0;
        }
    }
    if (back == NULL)
        return 0;
    return found(out, back, (back_f + back_g) - (keep_f + keep_g));
}

/* Finder._decode: Viterbi over positions lo..hi-1; at[r]..at[r+1] are position r's options,
   the word as written first */
static int
decode(Ctx *c, Opt *opts, Py_ssize_t *at, Py_ssize_t lo, Py_ssize_t n, PyObject *out)
{
    int err = -1;
    Py_ssize_t total = at[n] - at[lo];
    /* ending[e]: the options that end just before position e, in order (indexes into opts) */
    Py_ssize_t *ecount = PyMem_Calloc(n + 2, sizeof(Py_ssize_t));
    Py_ssize_t *ebegin = PyMem_Calloc(n + 2, sizeof(Py_ssize_t));
    Py_ssize_t *ending = PyMem_Malloc(sizeof(Py_ssize_t) * (total + 1));
    double *steps = NULL;
    if (ecount == NULL || ebegin == NULL || ending == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = at[lo]; i < at[n]; i++)
        if (opts[i].start + opts[i].length <= n)
            ecount[opts[i].start + opts[i].length]++;
    for (Py_ssize_t e = 1; e <= n + 1; e++)
        ebegin[e] = ebegin[e - 1] + ecount[e - 1];
    memset(ecount, 0, sizeof(Py_ssize_t) * (n + 2));
    for (Py_ssize_t i = at[lo]; i < at[n]; i++) {
        Py_ssize_t e = opts[i].start + opts[i].length;
        if (e <= n) {
            opts[i].slot = ecount[e];
            ending[ebegin[e] + ecount[e]++] = i;
        }
    }
    Py_ssize_t nsteps = 0;
    for (Py_ssize_t i = at[lo]; i < at[n]; i++)
        if (opts[i].start > lo)
            nsteps += ecount[opts[i].start];
    steps = PyMem_Malloc(sizeof(double) * (nsteps + 1));
    if (steps == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    /* forward: the best path up to and including each option */
    Py_ssize_t used = 0;
    for (Py_ssize_t p = lo; p < n; p++) {
        for (Py_ssize_t i = at[p]; i < at[p + 1]; i++) {
            Opt *o = &opts[i];
            if (p + o->length > n) {
                o->f = -INFINITY;
                continue;
            }
            double here = o->inner - o->cost;
            if (p == lo) {
                double t;
                if (trans_of(c, Py_None, o->first, &t) < 0)
                    goto done;
                o->f = t + here;
                o->back = -1;
                continue;
            }
            double best = -INFINITY;
            Py_ssize_t back = -1;
            o->ins = used;
            for (Py_ssize_t s = 0; s < ecount[p]; s++) {
                Opt *q = &opts[ending[ebegin[p] + s]];
                double step;
                if (step_of(c, q->last, o->first, o->kind == NULL && q->kind == NULL, &step) < 0)
                    goto done;
                steps[used++] = step;
                double v = q->f + step;
                if (v > best) {
                    best = v;
                    back = ending[ebegin[p] + s];
                }
            }
            o->f = best + here;
            o->back = back;
        }
    }
    /* backward: the best continuation after each option */
    for (Py_ssize_t p = n - 1; p >= lo; p--) {
        for (Py_ssize_t i = at[p]; i < at[p + 1]; i++) {
            Opt *o = &opts[i];
            Py_ssize_t end = p + o->length;
            if (end > n) {
                o->g = -INFINITY;
                continue;
            }
            if (end == n) {
                o->g = 0.0;
                continue;
            }
            double best = 0.0;
            for (Py_ssize_t j = at[end]; j < at[end + 1]; j++) {
                Opt *q = &opts[j];
                double v = steps[q->ins + o->slot] + q->inner - q->cost + q->g;
                if (j == at[end] || v > best)
                    best = v;
            }
            o->g = best;
        }
    }
    /* the best path, then the candidates on it */
    Py_ssize_t last = -1;
    for (Py_ssize_t s = 0; s < ecount[n]; s++) {
        Py_ssize_t i = ending[ebegin[n] + s];
        if (last < 0 || opts[i].f > opts[last].f)
            last = i;
    }
    Py_ssize_t npath = 0;
    for (Py_ssize_t i = last; i >= 0; i = opts[i].back)
        ending[npath++] = i;  /* the path, last first (ending is no longer needed) */
    for (Py_ssize_t k = npath - 1; k >= 0; k--) {
        Opt *o = &opts[ending[k]];
        if (o->kind == NULL)
            continue;
        Opt *keep = &opts[at[o->start]];
        if (found(out, o, (o->f + o->g) - (keep->f + keep->g)) < 0)
            goto done;
    }
    err = 0;
done:
    PyMem_Free(ecount);
    PyMem_Free(ebegin);
    PyMem_Free(ending);
    PyMem_Free(steps);
    return err;
}

/* Finder._replaceable(tok, sentence_start, heading).  First in c->bits (_Shared.replaceable_bits):
   text -> an int with two bits for each of the four (sentence start, heading) pairs, asked and the
   answer, looked up by the text alone, without a key tuple to build and hash; else worked out here
   (may_replace), or for what only Python can answer through Finder's own cache as Finder._segment reads
   it (the method on a miss), and the answer added to the bits.  _may_replace reads the two flags only
   as true or false. */
static int cached_truth(PyObject *cache, PyObject *key, PyObject *fill, PyObject *const *args, size_t nargs);

/* str.isupper(), as CPython's unicode_isupper_impl: a character is upper case, or (longer) no lower or
   title case character and at least one upper case one */
static int
is_upper(PyObject *text)
{
    int kind = PyUnicode_KIND(text);
    const void *d = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    if (n == 1)
        return Py_UNICODE_ISUPPER(PyUnicode_READ(kind, d, 0)) != 0;
    int cased = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 ch = PyUnicode_READ(kind, d, i);
        if (Py_UNICODE_ISLOWER(ch) || Py_UNICODE_ISTITLE(ch))
            return 0;
        if (Py_UNICODE_ISUPPER(ch))
            cased = 1;
    }
    return cased;
}

/* Finder._may_replace(tok, sentence_start, heading) for a token with this key and text, the same tests
   in the same order: 1 yes, 0 no, 2 for the Python method to answer (a text that is not a non-empty
   str), -1 error */
static int
may_replace(Ctx *c, PyObject *key, PyObject *text, int start, int heading)
{
    if (!PyUnicode_CheckExact(key) || !PyUnicode_CheckExact(text) || PyUnicode_GET_LENGTH(text) == 0)
        return 2;
    int in = PySequence_Contains(c->guarded, key);
    if (in)
        return in < 0 ? -1 : 0;
    /* key.replace("-", "").replace("'", "").isalpha() */
    int kind = PyUnicode_KIND(key);
    const void *d = PyUnicode_DATA(key);
    Py_ssize_t letters = 0;
    for (Py_ssize_t i = 0; i < PyUnicode_GET_LENGTH(key); i++) {
        Py_UCS4 ch = PyUnicode_READ(kind, d, i);
        if (ch == '-' || ch == '\'')
            continue;
        if (!Py_UNICODE_ISALPHA(ch))
            return 0;
        letters++;
    }
    if (letters == 0)
        return 0;
    /* any(map(str.isupper, text[1:])) and not text.isupper() and not heading: "PrEP", "McDonald" */
    kind = PyUnicode_KIND(text);
    d = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int inner_upper = 0;
    for (Py_ssize_t i = 1; i < n && !inner_upper; i++)
        inner_upper = Py_UNICODE_ISUPPER(PyUnicode_READ(kind, d, i)) != 0;
    if (inner_upper && !is_upper(text) && !heading)
        return 0;
    if (Py_UNICODE_ISUPPER(PyUnicode_READ(kind, d, 0)) && !start) {
        if (n > 1 && is_upper(text))
            return 0;  /* an abbreviation */
        if (!heading) {
            in = PySequence_Contains(c->common, key);
            if (in <= 0)
                return in < 0 ? -1 : 0;  /* a proper noun */
        }
    }
    return 1;
}

/* may_replace(key, text, sentence_start, heading, guarded, common): the above from Python, for the
   tests to compare with Finder._may_replace (None: the Python method would answer) */
static PyObject *
may_replace_py(PyObject *self, PyObject *args)
{
    Ctx c;
    PyObject *key, *text;
    int start, heading;
    if (!PyArg_ParseTuple(args, "OOppOO:may_replace", &key, &text, &start, &heading, &c.guarded, &c.common))
        return NULL;
    int yes = may_replace(&c, key, text, start, heading);
    if (yes < 0)
        return NULL;
    if (yes == 2)
        Py_RETURN_NONE;
    return PyBool_FromLong(yes);
}

static int
can_replace(Ctx *c, PyObject *tok, PyObject *key, PyObject *text, PyObject *start, PyObject *heading)
{
    int s = PyObject_IsTrue(start), h = PyObject_IsTrue(heading);
    if (s < 0 || h < 0)
        return -1;
    int shift = 2 * (2 * s + h);
    long bits = 0;
    PyObject *v = PyDict_GetItemWithError(c->bits, text);
    if (v != NULL) {
        bits = PyLong_AsLong(v);
        if (bits == -1 && PyErr_Occurred())
            return -1;
        if ((bits >> shift) & 1)
            return (int)((bits >> (shift + 1)) & 1);
    } else if (PyErr_Occurred())
        return -1;
    int yes = may_replace(c, key, text, s, h);
    if (yes == 2) {  /* Finder._replaceable, through its cache */
        PyObject *cache_key = PyTuple_Pack(3, text, start, heading);
        if (cache_key == NULL)
            return -1;
        PyObject *args[3] = {tok, start, heading};
        yes = cached_truth(c->known, cache_key, c->replaceable, args, 3);
        Py_DECREF(cache_key);
    }
    if (yes < 0)
        return -1;
    bits |= (1L | ((long)yes << 1)) << shift;
    if (PyDict_GET_SIZE(c->bits) > 200000)
        PyDict_Clear(c->bits);
    PyObject *nv = PyLong_FromLong(bits);
    if (nv == NULL || PyDict_SetItem(c->bits, text, nv) < 0) {
        Py_XDECREF(nv);
        return -1;
    }
    Py_DECREF(nv);
    return yes;
}

/* following.get(keys[p], {}), looked up once per run (borrowed) */
static PyObject *
after_of(Ctx *c, PyObject **after, PyObject **keys, Py_ssize_t p)
{
    if (after[p] == NULL) {
        after[p] = PyDict_GetItemWithError(c->following, keys[p]);
        if (after[p] == NULL) {
            if (PyErr_Occurred())
                return NULL;
            after[p] = c->none;
        }
    }
    return after[p];
}

/* A list of candidates from one of the Finder's per-process caches (``cache[key]``), or from the Python
   method that fills it (``fill(*args)``), as the Python decoder asks them; kept alive in ``held`` (a cache
   may drop it).  *out is the list, or NULL when it is empty; -1 with an exception set on an error. */
static int
cached_list(PyObject *cache, PyObject *key, PyObject *fill, PyObject *const *args, size_t nargs,
            PyObject *held, const char *what, PyObject **out)
{
    PyObject *found = PyDict_GetItemWithError(cache, key);
    if (found != NULL)
        Py_INCREF(found);
    else if (PyErr_Occurred() || (found = PyObject_Vectorcall(fill, args, nargs, NULL)) == NULL)
        return -1;
    int err = PyList_Append(held, found);
    Py_DECREF(found);
    if (err < 0)
        return -1;
    if (!PyList_Check(found)) {
        PyErr_Format(PyExc_TypeError, "%s are a list", what);
        return -1;
    }
    *out = PyList_GET_SIZE(found) ? found : NULL;
    return 0;
}

static PyObject *
segment(PyObject *self, PyObject *args)
{
    PyObject *toks, *starts, *headings, *ctx;
    Py_ssize_t i0, j0;
    Ctx c;
    if (!PyArg_ParseTuple(args, "O!nnO!O!O!:segment", &PyList_Type, &toks, &i0, &j0, &PyList_Type, &starts,
                          &PyList_Type, &headings, &PyTuple_Type, &ctx))
        return NULL;
    c.counts_read = 0;
    if (!PyArg_ParseTuple(ctx, "O!O!OOOOO!OO!OO!O!O!O!O!OO!O!ndd:segment's context", &PyDict_Type, &c.known, &PyDict_Type, &c.bits,
                          &c.guarded, &c.common,
                          &c.replaceable, &c.firsts, &PyDict_Type, &c.two, &c.two_words, &PyDict_Type, &c.cands,
                          &c.candidates,
                          &PyDict_Type, &c.following, &PyDict_Type, &c.none, &PyDict_Type, &c.doc_words,
                          &PyDict_Type, &c.doc_pairs, &PyDict_Type, &c.trans_cache, &c.trans,
                          &PyDict_Type, &c.inners, &PyTuple_Type, &c.counts_tuple,
                          &c.limit, &c.document_word, &c.document_pair))
        return NULL;
    if (i0 < 0 || j0 < i0 || j0 > PyList_GET_SIZE(toks) || j0 > PyList_GET_SIZE(starts)
        || j0 > PyList_GET_SIZE(headings)) {
        PyErr_SetString(PyExc_IndexError, "segment: the run is out of the paragraph");
        return NULL;
    }
    Py_ssize_t n = j0 - i0;
    PyObject *out = NULL, *held = NULL, *hold = NULL;
    PyObject **keys = PyMem_Calloc(n + 1, sizeof(PyObject *));
    PyObject **after = PyMem_Calloc(n + 1, sizeof(PyObject *));  /* after_of's, NULL: not looked up yet */
    Py_ssize_t *at = PyMem_Calloc(n + 1, sizeof(Py_ssize_t));
    Py_ssize_t *maxlen = PyMem_Calloc(n + 1, sizeof(Py_ssize_t));  /* 0: no candidate kept */
    Py_ssize_t limit = c.limit < 0 ? 0 : c.limit;
    Opt *opts = PyMem_Calloc(n * (limit + 1) + 1, sizeof(Opt));
    Ranked *ranked = NULL;
    Py_ssize_t nranked = 0;
    if (keys == NULL || after == NULL || at == NULL || maxlen == NULL || opts == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    held = PyList_New(0);  /* the candidate lists read, alive while their tuples are (a cache may drop them) */
    if (held == NULL)
        goto done;
    for (Py_ssize_t p = 0; p < n; p++) {
        PyObject *k = tok_field(PyList_GET_ITEM(toks, i0 + p), 4, &hold);
        if (k == NULL)
            goto done;
        keys[p] = k;
        if (PyList_Append(held, k) < 0)
            goto done;
    }
    Py_ssize_t total = 0;
    for (Py_ssize_t p = 0; p < n; p++) {
        at[p] = total;
        Opt *keep = &opts[total++];
        keep->start = p;
        keep->length = 1;
        keep->words = NULL;
        keep->first = keep->last = keys[p];
        keep->kind = NULL;
        keep->cost = 0.0;
        PyObject *tok = PyList_GET_ITEM(toks, i0 + p);
        PyObject *text = tok_field(tok, 3, &hold);
        if (text == NULL)
            goto done;
        int can = can_replace(&c, tok, keys[p], text, PyList_GET_ITEM(starts, i0 + p),
                              PyList_GET_ITEM(headings, i0 + p));
        if (can < 0)
            goto done;
        if (!can)
            continue;
        PyObject *key = keys[p];
        PyObject *left = p > 0 ? keys[p - 1] : NULL;
        PyObject *right = p + 1 < n ? keys[p + 1] : NULL;
        PyObject *two = NULL, *more = NULL;
        /* two words for one ("steer clear" -> "avoid") */
        if (right != NULL) {
            int first = PySequence_Contains(c.firsts, key);
            if (first < 0)
                goto done;
            if (first) {
                PyObject *next = PyList_GET_ITEM(toks, i0 + p + 1);
                PyObject *next_text = tok_field(next, 3, &hold);
                if (next_text == NULL)
                    goto done;
                int yes = can_replace(&c, next, right, next_text, Py_False, PyList_GET_ITEM(headings, i0 + p + 1));
                if (yes < 0)
                    goto done;
                if (yes) {
                    /* Finder._two_words(key, right): its cache, read here, keyed "key right" */
                    PyObject *pair = PyUnicode_FromFormat("%U %U", key, right);
                    if (pair == NULL)
                        goto done;
                    PyObject *b[2] = {key, right};
                    int err = cached_list(c.two, pair, c.two_words, b, 2, held, "two words' candidates", &two);
                    Py_DECREF(pair);
                    if (err < 0)
                        goto done;
                }
            }
        }
        /* is the word improbable where it stands?  (the listed pairs it forms, which _prune counts too) */
        PyObject *after_left = left == NULL ? c.none : after_of(&c, after, keys, p - 1);
        if (after_left == NULL)
            goto done;
        int in_left = PySequence_Contains(after_left, key);
        if (in_left < 0)
            goto done;
        int in_right = 0;
        if (right != NULL) {
            PyObject *after_key = after_of(&c, after, keys, p);
            if (after_key == NULL || (in_right = PySequence_Contains(after_key, right)) < 0)
                goto done;
        }
        int odd = (left != NULL && !in_left) || (right != NULL && !in_right) || (left == NULL && right == NULL);
        if (odd) {
            if (cached_list(c.cands, key, c.candidates, &key, 1, held, "a word's candidates", &more) < 0)
                goto done;
        }
        if (two == NULL && more == NULL)
            continue;
        Py_ssize_t count = (two ? PyList_GET_SIZE(two) : 0) + (more ? PyList_GET_SIZE(more) : 0);
        if (count > nranked) {
            PyMem_Free(ranked);
            nranked = count;
            ranked = PyMem_Malloc(sizeof(Ranked) * nranked);
            if (ranked == NULL) {
                PyErr_NoMemory();
                goto done;
            }
        }
        Py_ssize_t kept = prune(&c, two, more, keys, n, p, after_left, in_left + in_right, &opts[total], ranked);
        if (kept < 0)
            goto done;
        for (Py_ssize_t i = 0; i < kept; i++)
            if (opts[total + i].length > maxlen[p])
                maxlen[p] = opts[total + i].length;
        if (kept && maxlen[p] < 1) {
            PyErr_SetString(PyExc_ValueError, "a candidate covers no word");
            goto done;
        }
        total += kept;
    }
    at[n] = total;
    out = PyList_New(0);
    if (out == NULL)
        goto done;
    /* decode each cluster of positions with candidates, between two fixed words */
    Py_ssize_t p = 0;
    for (Py_ssize_t p0 = 0; p0 < n; p0++) {
        if (maxlen[p0] == 0 || p0 < p)
            continue;
        p = p0;
        Py_ssize_t lo = p > 0 ? p - 1 : 0;
        Py_ssize_t reach = p + maxlen[p];
        Py_ssize_t q = p + 1;
        while (q < n && (q < reach || maxlen[q])) {
            if (maxlen[q] && q + maxlen[q] > reach)
                reach = q + maxlen[q];
            q++;
        }
        Py_ssize_t hi = (q > reach ? q : reach) + 1;
        if (hi > n)
            hi = n;
        for (Py_ssize_t r = lo; r < hi; r++)
            if (word_bonus(&c, keys[r], 1, &opts[at[r]].inner) < 0)
                goto done;
        if (hi - lo == 3 && lo == p - 1 && reach == p + 1) {
            if (decode_one(&c, &opts[at[p - 1]], &opts[at[p]], &opts[at[p + 1]], &opts[at[p] + 1],
                           at[p + 1] - at[p] - 1, out) < 0)
                goto done;
        } else if (decode(&c, opts, at, lo, hi, out) < 0)
            goto done;
        p = hi;
    }
    PyMem_Free(keys);
    PyMem_Free(after);
    PyMem_Free(at);
    PyMem_Free(maxlen);
    PyMem_Free(opts);
    PyMem_Free(ranked);
    Py_DECREF(held);
    Py_XDECREF(hold);
    return out;
done:
    PyMem_Free(keys);
    PyMem_Free(after);
    PyMem_Free(at);
    PyMem_Free(maxlen);
    PyMem_Free(opts);
    PyMem_Free(ranked);
    Py_XDECREF(held);
    Py_XDECREF(hold);
    Py_XDECREF(out);
    return NULL;
}

/* ------------------------------------------------------------------------------------ */
/* word_runs: statistical._word_runs, as a list */

static PyObject *
word_runs(PyObject *self, PyObject *args)
{
    PyObject *toks, *hold = NULL;
    if (!PyArg_ParseTuple(args, "O!:word_runs", &PyList_Type, &toks))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(toks);
    PyObject *out = PyList_New(0);
    if (out == NULL)
        return NULL;
    /* per token: is it a word, its start and end */
    Py_ssize_t *start = PyMem_Malloc(sizeof(Py_ssize_t) * (n ? n : 1) * 2);
    char *word = PyMem_Malloc(n ? n : 1);
    if (start == NULL || word == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    Py_ssize_t *end = start + n;
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *tok = PyList_GET_ITEM(toks, k);
        PyObject *kind = tok_field(tok, 0, &hold);
        if (kind == NULL)
            goto fail;
        int w = PyObject_RichCompareBool(kind, KIND_W, Py_EQ);
        if (w < 0)
            goto fail;
        word[k] = (char)w;
        PyObject *v = tok_field(tok, 1, &hold);
        if (v == NULL || ((start[k] = PyLong_AsSsize_t(v)) == -1 && PyErr_Occurred()))
            goto fail;
        v = tok_field(tok, 2, &hold);
        if (v == NULL || ((end[k] = PyLong_AsSsize_t(v)) == -1 && PyErr_Occurred()))
            goto fail;
    }
    Py_ssize_t i = 0;
    while (i < n) {
        if (!word[i]) {
            i++;
            continue;
        }
        Py_ssize_t j = i;
        while (j + 1 < n && word[j + 1] && start[j + 1] - end[j] <= 2)
            j++;
        PyObject *t = Py_BuildValue("(nn)", i, j + 1);
        if (t == NULL || PyList_Append(out, t) < 0) {
            Py_XDECREF(t);
            goto fail;
        }
        Py_DECREF(t);
        i = j + 1;
    }
    PyMem_Free(start);
    PyMem_Free(word);
    Py_XDECREF(hold);
    return out;
fail:
    PyMem_Free(start);
    PyMem_Free(word);
    Py_XDECREF(hold);
    Py_DECREF(out);
    return NULL;
}

/* ------------------------------------------------------------------------------------ */
/* group_alts: Finder._candidates' loop over one group of a word's thesaurus neighbours */

/* group_alts(found, group, cost, kind, most, banned, following, none, ok, alt): up to `most` of the
   group's words appended to found, each as statistical._alt makes it: a word inline,
   ((w,), w, w, 1, cost, kind, following.get(w, none)) unless it is banned; words with a space through
   the Python functions, alt(w, cost, kind, following) where ok(w) */
static PyObject *
group_alts(PyObject *self, PyObject *args)
{
    PyObject *found, *group, *cost, *kind, *banned, *following, *none, *ok, *alt;
    Py_ssize_t most;
    if (!PyArg_ParseTuple(args, "O!OOOnOO!O!OO:group_alts", &PyList_Type, &found, &group, &cost, &kind, &most,
                          &banned, &PyDict_Type, &following, &PyDict_Type, &none, &ok, &alt))
        return NULL;
    PyObject *seq = PySequence_Fast(group, "a group of neighbours is a sequence");
    if (seq == NULL)
        return NULL;
    Py_ssize_t taken = 0;
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
        if (taken == most)
            break;
        PyObject *w = PySequence_Fast_GET_ITEM(seq, i), *item = NULL;
        if (!PyUnicode_Check(w)) {
            PyErr_SetString(PyExc_TypeError, "a neighbour is a str");
            goto fail;
        }
        Py_ssize_t space = PyUnicode_FindChar(w, ' ', 0, PyUnicode_GET_LENGTH(w), 1);
        if (space == -2)
            goto fail;
        if (space >= 0) {  /* several words: ok(w) and alt(w, cost, kind, following), in Python */
            PyObject *yes = PyObject_CallOneArg(ok, w);
            int truth = yes == NULL ? -1 : PyObject_IsTrue(yes);
            Py_XDECREF(yes);
            if (truth < 0)
                goto fail;
            if (!truth)
                continue;
            item = PyObject_CallFunctionObjArgs(alt, w, cost, kind, following, NULL);
        } else {  /* one word: w not in banned, then the tuple _alt makes */
            int in = PySequence_Contains(banned, w);
            if (in < 0)
                goto fail;
            if (in)
                continue;
            PyObject *after = PyDict_GetItemWithError(following, w);
            if (after == NULL) {
                if (PyErr_Occurred())
                    goto fail;
                after = none;
            }
            PyObject *words = PyTuple_Pack(1, w), *one = PyLong_FromLong(1);
            if (words != NULL && one != NULL)
                item = PyTuple_Pack(7, words, w, w, one, cost, kind, after);
            Py_XDECREF(words);
            Py_XDECREF(one);
        }
        if (item == NULL)
            goto fail;
        int err = PyList_Append(found, item);
        Py_DECREF(item);
        if (err < 0)
            goto fail;
        taken++;
    }
    Py_DECREF(seq);
    Py_RETURN_NONE;
fail:
    Py_DECREF(seq);
    return NULL;
}

/* ------------------------------------------------------------------------------------ */
/* count_runs: DocumentCounts.count, and run_keys: the runs as Finder.suspects keys them */

/* d[key] = d.get(key, 0) + 1 */
static int
bump(PyObject *d, PyObject *key)
{
    long n = 0;
    PyObject *v = PyDict_GetItemWithError(d, key);
    if (v != NULL) {
        n = PyLong_AsLong(v);
        if (n == -1 && PyErr_Occurred())
            return -1;
    } else if (PyErr_Occurred())
        return -1;
    PyObject *m = PyLong_FromLong(n + 1);
    if (m == NULL)
        return -1;
    int err = PyDict_SetItem(d, key, m);
    Py_DECREF(m);
    return err;
}

/* the (i, j) of a run in word_runs' list, checked */
static int
run_at(PyObject *runs, Py_ssize_t r, Py_ssize_t n, Py_ssize_t *i, Py_ssize_t *j)
{
    PyObject *t = PyList_GET_ITEM(runs, r);
    *i = PyLong_AsSsize_t(PyTuple_GET_ITEM(t, 0));
    *j = PyLong_AsSsize_t(PyTuple_GET_ITEM(t, 1));
    if (PyErr_Occurred())
        return -1;
    if (*i < 0 || *j < *i || *j > n) {
        PyErr_SetString(PyExc_IndexError, "a run is out of the paragraph");
        return -1;
    }
    return 0;
}

/* word_runs(toks) called from C: the runs of words of a token list */
static PyObject *
runs_of(PyObject *self, PyObject *toks)
{
    PyObject *one = PyTuple_Pack(1, toks);
    if (one == NULL)
        return NULL;
    PyObject *runs = word_runs(self, one);
    Py_DECREF(one);
    return runs;
}

/* count_runs(toks, words, pairs): for each run of words (word_runs), its keys counted into words and
   its adjacent pairs of keys into pairs, as DocumentCounts.add does, run by run; returns how many words */
static PyObject *
count_runs(PyObject *self, PyObject *args)
{
    PyObject *toks, *words, *pairs, *hold = NULL;
    if (!PyArg_ParseTuple(args, "O!O!O!:count_runs", &PyList_Type, &toks, &PyDict_Type, &words, &PyDict_Type,
                          &pairs))
        return NULL;
    PyObject *runs = runs_of(self, toks);
    if (runs == NULL)
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(toks), total = 0;
    for (Py_ssize_t r = 0; r < PyList_GET_SIZE(runs); r++) {
        Py_ssize_t i, j;
        if (run_at(runs, r, n, &i, &j) < 0)
            goto fail;
        for (Py_ssize_t k = i; k < j; k++) {
            PyObject *key = tok_field(PyList_GET_ITEM(toks, k), 4, &hold);
            if (key == NULL || bump(words, key) < 0)
                goto fail;
        }
        for (Py_ssize_t k = i; k + 1 < j; k++) {
            PyObject *a = tok_field(PyList_GET_ITEM(toks, k), 4, &hold);
            if (a == NULL)
                goto fail;
            Py_INCREF(a);  /* (hold may drop it when the next field is read through getattr) */
            PyObject *b = tok_field(PyList_GET_ITEM(toks, k + 1), 4, &hold);
            PyObject *pair = b == NULL ? NULL : PyTuple_Pack(2, a, b);
            Py_DECREF(a);
            if (pair == NULL)
                goto fail;
            int err = bump(pairs, pair);
            Py_DECREF(pair);
            if (err < 0)
                goto fail;
        }
        total += j - i;
    }
    Py_DECREF(runs);
    Py_XDECREF(hold);
    return PyLong_FromSsize_t(total);
fail:
    Py_DECREF(runs);
    Py_XDECREF(hold);
    return NULL;
}

/* A run's key as one str, which (unlike a tuple) keeps its hash once worked out, so the look-up and
   the store of Finder.suspects hash it once: for each word a mark, "0" + 2 * (opens a sentence) +
   (in a heading), then its text, the words separated by spaces.  NULL without an exception where a
   text is not a str without a space (the tuple key then). */
static PyObject *
run_string(PyObject *toks, PyObject *starts, PyObject *headings, Py_ssize_t i, Py_ssize_t m, PyObject **hold)
{
    Py_ssize_t length = 0;
    Py_UCS4 most = '3';
    for (Py_ssize_t k = i; k < m; k++) {
        PyObject *text = tok_field(PyList_GET_ITEM(toks, k), 3, hold);
        if (text == NULL)
            return NULL;
        if (!PyUnicode_CheckExact(text)
            || PyUnicode_FindChar(text, ' ', 0, PyUnicode_GET_LENGTH(text), 1) != -1)
            return NULL;  /* (-2, an error, cannot be: the text is a str and the range its own) */
        Py_UCS4 top = PyUnicode_MAX_CHAR_VALUE(text);
        if (top > most)
            most = top;
        length += 1 + PyUnicode_GET_LENGTH(text) + (k > i);
    }
    PyObject *out = PyUnicode_New(length, most);
    if (out == NULL)
        return NULL;
    Py_ssize_t at = 0;
    for (Py_ssize_t k = i; k < m; k++) {
        int s = PyObject_IsTrue(PyList_GET_ITEM(starts, k)), h = PyObject_IsTrue(PyList_GET_ITEM(headings, k));
        PyObject *text = tok_field(PyList_GET_ITEM(toks, k), 3, hold);
        if (s < 0 || h < 0 || text == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        if (k > i)
            PyUnicode_WRITE(PyUnicode_KIND(out), PyUnicode_DATA(out), at++, ' ');
        PyUnicode_WRITE(PyUnicode_KIND(out), PyUnicode_DATA(out), at++, '0' + 2 * s + h);
        if (PyUnicode_CopyCharacters(out, at, text, 0, PyUnicode_GET_LENGTH(text)) < 0) {
            Py_DECREF(out);
            return NULL;
        }
        at += PyUnicode_GET_LENGTH(text);
    }
    return out;
}

/* run_keys(toks, sentence_start, heading): (i, j, key) for each run of words (word_runs), the key being
   what tells the run apart, as Finder.suspects keys it: run_string's str, or where that cannot be,
   tuple(zip(texts, sentence_start[i:j], heading[i:j])) as _run_keys_py makes it */
static PyObject *
run_keys(PyObject *self, PyObject *args)
{
    PyObject *toks, *starts, *headings, *hold = NULL;
    if (!PyArg_ParseTuple(args, "O!O!O!:run_keys", &PyList_Type, &toks, &PyList_Type, &starts, &PyList_Type,
                          &headings))
        return NULL;
    PyObject *runs = runs_of(self, toks);
    if (runs == NULL)
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(toks);
    PyObject *out = PyList_New(PyList_GET_SIZE(runs));
    if (out == NULL)
        goto fail;
    for (Py_ssize_t r = 0; r < PyList_GET_SIZE(runs); r++) {
        Py_ssize_t i, j;
        if (run_at(runs, r, n, &i, &j) < 0)
            goto fail;
        /* zip stops at the shortest: the flags lists may be shorter than the run */
        Py_ssize_t m = j;
        if (PyList_GET_SIZE(starts) < m)
            m = PyList_GET_SIZE(starts) > i ? PyList_GET_SIZE(starts) : i;
        if (PyList_GET_SIZE(headings) < m)
            m = PyList_GET_SIZE(headings) > i ? PyList_GET_SIZE(headings) : i;
        PyObject *key = run_string(toks, starts, headings, i, m, &hold);
        if (key == NULL) {
            if (PyErr_Occurred())
                goto fail;
            key = PyTuple_New(m - i);
        }
        if (key == NULL)
            goto fail;
        for (Py_ssize_t k = i; k < m && PyTuple_Check(key); k++) {
            PyObject *text = tok_field(PyList_GET_ITEM(toks, k), 3, &hold);
            PyObject *t = text == NULL ? NULL
                : PyTuple_Pack(3, text, PyList_GET_ITEM(starts, k), PyList_GET_ITEM(headings, k));
            if (t == NULL) {
                Py_DECREF(key);
                goto fail;
            }
            PyTuple_SET_ITEM(key, k - i, t);
        }
        PyObject *item = Py_BuildValue("(nnN)", i, j, key);
        if (item == NULL)
            goto fail;
        PyList_SET_ITEM(out, r, item);
    }
    Py_DECREF(runs);
    Py_XDECREF(hold);
    return out;
fail:
    Py_DECREF(runs);
    Py_XDECREF(hold);
    Py_XDECREF(out);
    return NULL;
}

/* ------------------------------------------------------------------------------------ */
/* screen: scan._screen, the tokens each loop of scan.scan looks at */

static int
append_index(PyObject *list, Py_ssize_t k)
{
    PyObject *v = PyLong_FromSsize_t(k);
    if (v == NULL)
        return -1;
    int err = PyList_Append(list, v);
    Py_DECREF(v);
    return err;
}

static PyObject *
screen(PyObject *self, PyObject *args)
{
    PyObject *toks, *starts_of, *starts, *pairs, *drug_keys, *promo_first, *firsts, *marks, *hold = NULL;
    if (!PyArg_ParseTuple(args, "O!O!OO!O!OOO!:screen", &PyList_Type, &toks, &PyList_Type, &starts_of, &starts,
                          &PyDict_Type, &pairs, &PyDict_Type, &drug_keys, &promo_first, &firsts, &PyDict_Type,
                          &marks))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(toks);
    if (PyList_GET_SIZE(starts_of) < n) {
        PyErr_SetString(PyExc_IndexError, "screen: fewer sentence starts than tokens");
        return NULL;
    }
    PyObject *lists[4] = {PyList_New(0), PyList_New(0), PyList_New(0), PyList_New(0)};
    PyObject *drugs = lists[0], *found = lists[1], *detect = lists[2], *promo = lists[3], *out = NULL;
    if (!drugs || !found || !detect || !promo)
        goto done;
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *tok = PyList_GET_ITEM(toks, k);
        PyObject *kind = tok_field(tok, 0, &hold);
        if (kind == NULL)
            goto done;
        int w = PyObject_RichCompareBool(kind, KIND_W, Py_EQ);
        if (w < 0)
            goto done;
        if (w) {
            PyObject *key = tok_field(tok, 4, &hold);
            if (key == NULL)
                goto done;
            Py_INCREF(key);  /* the next tok_field may drop it */
            PyObject *d = PyDict_GetItemWithError(drug_keys, key);  /* drug_keys.get(key, _UNSEEN) is not None */
            int yes = (d == NULL && !PyErr_Occurred()) || (d != NULL && d != Py_None);
            if ((d == NULL && PyErr_Occurred()) || (yes && append_index(drugs, k) < 0))
                goto fail_key;
            /* the word's marks: in starts (1), in firsts (2), in promo_first (4); kept in marks, for
               these rules, so that a word seen before is one look-up, not three */
            long mark = 0;
            PyObject *m = PyDict_GetItemWithError(marks, key);
            if (m != NULL) {
                if ((mark = PyLong_AsLong(m)) == -1 && PyErr_Occurred())
                    goto fail_key;
            } else {
                int in_starts, in_firsts, in_promo;
                if (PyErr_Occurred() || (in_starts = PySequence_Contains(starts, key)) < 0
                    || (in_firsts = PySequence_Contains(firsts, key)) < 0
                    || (in_promo = PySequence_Contains(promo_first, key)) < 0)
                    goto fail_key;
                mark = in_starts | (in_firsts << 1) | (in_promo << 2);
                if (PyDict_GET_SIZE(marks) > 200000)
                    PyDict_Clear(marks);
                if ((m = PyLong_FromLong(mark)) == NULL)
                    goto fail_key;
                int err = PyDict_SetItem(marks, key, m);
                Py_DECREF(m);
                if (err < 0)
                    goto fail_key;
            }
            /* key in starts or (k + 1 < n and key in firsts and (key, toks[k + 1].key) in pairs) */
            yes = mark & 1;
            if (yes == 0 && k + 1 < n && (mark & 2)) {
                PyObject *next = tok_field(PyList_GET_ITEM(toks, k + 1), 4, &hold);
                PyObject *pair = next == NULL ? NULL : PyTuple_Pack(2, key, next);
                if (pair == NULL)
                    goto fail_key;
                yes = PyDict_Contains(pairs, pair);
                Py_DECREF(pair);
            }
            if (yes < 0 || (yes && append_index(found, k) < 0))
                goto fail_key;
            /* key in ("a", "an") or (text[0].isupper() and not sentence_start[k]) */
            yes = PyUnicode_Check(key) && (PyUnicode_CompareWithASCIIString(key, "a") == 0
                                           || PyUnicode_CompareWithASCIIString(key, "an") == 0);
            if (!yes) {
                PyObject *text = tok_field(tok, 3, &hold);
                if (text == NULL)
                    goto fail_key;
                if (!PyUnicode_Check(text) || PyUnicode_GET_LENGTH(text) == 0)
                    yes = 1;  /* let the Python code say what it makes of it */
                else if (Py_UNICODE_ISUPPER(PyUnicode_READ_CHAR(text, 0))) {
                    int at_start = PyObject_IsTrue(PyList_GET_ITEM(starts_of, k));
                    if (at_start < 0)
                        goto fail_key;
                    yes = !at_start;
                }
            }
            if (yes && append_index(detect, k) < 0)
                goto fail_key;
            if ((mark & 4) && append_index(promo, k) < 0)
                goto fail_key;
            Py_DECREF(key);
            continue;
        fail_key:
            Py_DECREF(key);
            goto done;
        }
        int x = PyObject_RichCompareBool(kind, KIND_X, Py_EQ);
        if (x < 0)
            goto done;
        if (x) {
            PyObject *text = tok_field(tok, 3, &hold);
            if (text == NULL)
                goto done;
            if (PyUnicode_Check(text) && PyUnicode_GET_LENGTH(text) >= 2 && PyUnicode_READ_CHAR(text, 0) == ']'
                && PyUnicode_READ_CHAR(text, 1) == '(' && append_index(promo, k) < 0)
                goto done;
        }
    }
    out = PyTuple_Pack(4, drugs, found, detect, promo);
done:
    for (int i = 0; i < 4; i++)
        Py_XDECREF(lists[i]);
    Py_XDECREF(hold);
    return out;
}

/* ------------------------------------------------------------------------------------ */
/* trigram: pocketsphinx's ngram_prob, called directly

   pocketsphinx's Python method NGramModel.prob(words) encodes each word to UTF-8, copies
   the pointers into an array and calls the library's C function ngram_prob(lm, words, n);
   that wrapping costs about a microsecond a trigram, more than the look-up itself.  A
   Trigram object calls the same C function (found by name in the same loaded library) with
   the same arguments, so it returns the same int; lm_scores calls it without a Python call.
   What lm.py hands over (the model's pointer, read from the binding's object) is checked
   there against the binding's own answers before it is used. */

typedef int32_t (*ngram_prob_fn)(void *model, const char *const *words, int32_t n);
typedef int32_t (*ngram_wid_fn)(void *model, const char *word);
typedef int32_t (*ngram_ng_prob_fn)(void *model, int32_t wid, int32_t *history, int32_t n_hist, int32_t *n_used);

typedef struct {
    PyObject_HEAD
    PyObject *owner;      /* the binding's NGramModel: keeps the model alive */
    void *model;          /* its ngram_model_t * */
    ngram_prob_fn prob;
    ngram_wid_fn wid;     /* what ngram_prob does, in two steps: each word's id ... */
    ngram_ng_prob_fn ng_prob;  /* ... and the look-up with the ids */
    PyObject *wids;       /* str -> its id (ngram_wid), so that a word is looked up in the library once */
    vectorcallfunc vectorcall;
} TrigramObject;

static PyTypeObject Trigram_Type;

/* ngram_prob of a tuple or list of 1 to 16 str, as NGramModel.prob(words) */
static int
trigram_prob(TrigramObject *t, PyObject *words, int32_t *out)
{
    const char *c[16];
    PyObject *seq = PySequence_Fast(words, "the words are a sequence");
    if (seq == NULL)
        return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (n < 1 || n > 16) {
        Py_DECREF(seq);
        PyErr_SetString(PyExc_ValueError, "a look-up takes 1 to 16 words");
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *w = PySequence_Fast_GET_ITEM(seq, i);
        if (!PyUnicode_Check(w)) {
            Py_DECREF(seq);
            PyErr_SetString(PyExc_TypeError, "a word is a str");
            return -1;
        }
        c[i] = PyUnicode_AsUTF8(w);  /* as w.encode("utf-8"): an error for a lone surrogate */
        if (c[i] == NULL) {
            Py_DECREF(seq);
            return -1;
        }
    }
    *out = t->prob(t->model, c, (int32_t)n);
    Py_DECREF(seq);
    return 0;
}

/* ngram_wid(model, w), kept in t->wids */
static int
wid_of(TrigramObject *t, PyObject *w, int32_t *out)
{
    PyObject *v = PyDict_GetItemWithError(t->wids, w);
    if (v != NULL) {
        *out = (int32_t)PyLong_AsLong(v);
        return 0;
    }
    if (PyErr_Occurred())
        return -1;
    const char *c = PyUnicode_AsUTF8(w);
    if (c == NULL)
        return -1;
    int32_t id = t->wid(t->model, c);
    if (PyDict_GET_SIZE(t->wids) > 200000)
        PyDict_Clear(t->wids);
    v = PyLong_FromLong(id);
    if (v == NULL || PyDict_SetItem(t->wids, w, v) < 0) {
        Py_XDECREF(v);
        return -1;
    }
    Py_DECREF(v);
    *out = id;
    return 0;
}

/* ngram_prob of three str (the caller checked they are str): as ngram_prob does it, the ids of
   the two words before, then of the word, then ngram_ng_prob with them, but each id kept */
static int
trigram3(TrigramObject *t, PyObject *w, PyObject *a, PyObject *b, int32_t *out)
{
    if (t->wid != NULL && t->ng_prob != NULL && PyUnicode_CheckExact(w) && PyUnicode_CheckExact(a)
        && PyUnicode_CheckExact(b)) {
        int32_t history[2], id, used;
        if (wid_of(t, a, &history[0]) < 0 || wid_of(t, b, &history[1]) < 0 || wid_of(t, w, &id) < 0)
            return -1;
        *out = t->ng_prob(t->model, id, history, 2, &used);
        return 0;
    }
    const char *c[3];
    if ((c[0] = PyUnicode_AsUTF8(w)) == NULL || (c[1] = PyUnicode_AsUTF8(a)) == NULL
        || (c[2] = PyUnicode_AsUTF8(b)) == NULL)
        return -1;
    *out = t->prob(t->model, c, 3);
    return 0;
}

static PyObject *
trigram_call(PyObject *self, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    if (PyVectorcall_NARGS(nargsf) != 1 || (kwnames != NULL && PyTuple_GET_SIZE(kwnames) != 0)) {
        PyErr_SetString(PyExc_TypeError, "prob(words) takes one argument");
        return NULL;
    }
    int32_t v;
    if (trigram_prob((TrigramObject *)self, args[0], &v) < 0)
        return NULL;
    return PyLong_FromLong(v);
}

static void
trigram_dealloc(PyObject *self)
{
    Py_XDECREF(((TrigramObject *)self)->owner);
    Py_XDECREF(((TrigramObject *)self)->wids);
    Py_TYPE(self)->tp_free(self);
}

static PyTypeObject Trigram_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "handouts.repair._speedups.Trigram",
    .tp_basicsize = sizeof(TrigramObject),
    .tp_dealloc = trigram_dealloc,
    .tp_vectorcall_offset = offsetof(TrigramObject, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "prob(words): the trigram library's ngram_prob, as its Python binding's NGramModel.prob",
};

/* trigram(model, library, at): a Trigram calling ngram_prob of the library at path
   `library` (already loaded by the binding) on the ngram_model_t * kept at byte `at` of the
   binding's object `model` */
static PyObject *
trigram(PyObject *self, PyObject *args)
{
    PyObject *owner;
    const char *library;
    Py_ssize_t at;
    if (!PyArg_ParseTuple(args, "Osn:trigram", &owner, &library, &at))
        return NULL;
#ifdef HAVE_DLFCN
    if (at < (Py_ssize_t)sizeof(PyObject) || at + (Py_ssize_t)sizeof(void *) > Py_TYPE(owner)->tp_basicsize) {
        PyErr_SetString(PyExc_ValueError, "no pointer at that place of the object");
        return NULL;
    }
    void *handle = dlopen(library, RTLD_NOW | RTLD_NOLOAD);
    if (handle == NULL) {
        PyErr_Format(PyExc_OSError, "the trigram library is not loaded: %s", library);
        return NULL;
    }
    ngram_prob_fn fn = (ngram_prob_fn)dlsym(handle, "ngram_prob");
    ngram_wid_fn wid = (ngram_wid_fn)dlsym(handle, "ngram_wid");
    ngram_ng_prob_fn ng_prob = (ngram_ng_prob_fn)dlsym(handle, "ngram_ng_prob");
    dlclose(handle);  /* the binding keeps it loaded */
    void *model = *(void **)((char *)owner + at);
    if (fn == NULL || model == NULL) {
        PyErr_SetString(PyExc_OSError, "no ngram_prob in the trigram library, or no model");
        return NULL;
    }
    PyObject *wids = PyDict_New();
    if (wids == NULL)
        return NULL;
    TrigramObject *t = PyObject_New(TrigramObject, &Trigram_Type);
    if (t == NULL) {
        Py_DECREF(wids);
        return NULL;
    }
    Py_INCREF(owner);
    t->owner = owner;
    t->model = model;
    t->prob = fn;
    t->wid = wid;
    t->ng_prob = ng_prob;
    t->wids = wids;
    t->vectorcall = trigram_call;
    return (PyObject *)t;
#else
    PyErr_SetString(PyExc_OSError, "no dlopen on this platform");
    return NULL;
#endif
}

/* ------------------------------------------------------------------------------------ */
/* lm_scores: the language model's reading of one word's candidates */

/* ngram_ng_prob(model, w, (a, b)): what trigram3 does once the three ids are known */
static int32_t
ng3(TrigramObject *t, int32_t w, int32_t a, int32_t b)
{
    int32_t history[2] = {a, b}, used;
    return t->ng_prob(t->model, w, history, 2, &used);
}

static int
prob_of(PyObject *prob, PyObject *w, PyObject *a, PyObject *b, double *out)
{
    if (Py_IS_TYPE(prob, &Trigram_Type) && PyUnicode_Check(w) && PyUnicode_Check(a) && PyUnicode_Check(b)) {
        int32_t v;  /* the same int the call below returns, converted to double as below */
        if (trigram3((TrigramObject *)prob, w, a, b, &v) < 0)
            return -1;
        *out = (double)v;
        return 0;
    }
    PyObject *t = PyTuple_Pack(3, w, a, b);
    if (t == NULL)
        return -1;
    PyObject *v = PyObject_CallOneArg(prob, t);
    Py_DECREF(t);
    if (v == NULL)
        return -1;
    double d;
    if (PyFloat_CheckExact(v))
        d = PyFloat_AS_DOUBLE(v);
    else if (PyLong_CheckExact(v))
        d = PyLong_AsDouble(v);  /* as Python's int * float converts it */
    else {
        Py_DECREF(v);
        PyErr_SetString(PyExc_TypeError, "the model's look-up returned neither an int nor a float");
        return -1;
    }
    Py_DECREF(v);
    if (d == -1.0 && PyErr_Occurred())
        return -1;
    *out = d;
    return 0;
}

/* A candidate list sorted best first, as sorted(key=lambda x: (-x[0], x[1])): by score, highest first,
   then by word; stable */
typedef struct {
    double st;
    PyObject *word;  /* borrowed from the list that holds it */
    Py_ssize_t at;   /* its place before the sort */
} Static;

static int
cmp_static(const void *pa, const void *pb)
{
    const Static *a = pa, *b = pb;
    if (a->st != b->st)
        return a->st > b->st ? -1 : 1;  /* by -score */
    int c = PyUnicode_Compare(a->word, b->word);  /* str objects: cannot fail */
    if (c != 0)
        return c;
    return a->at < b->at ? -1 : a->at > b->at;
}

/* The scores of one word's candidates (statics: a list of (score, word), best first without context)
   into scores[0 .. *n), in the list's order, up to scored_most of them and until one cannot reach the
   floor, as Finder._lm_scored's loop sums them.  ids and follows (or NULL): each candidate's id in the
   trigram model and following.get(c, none), kept for the process (lm_run's word lists); otherwise
   each is looked up. */
static int
score_candidates(PyObject *prob, PyObject *statics, Py_ssize_t scored_most, double most, double floor_,
                 PyObject *a, PyObject *b, PyObject *n1, PyObject *n2, double base, PyObject *after_prev,
                 PyObject *following, PyObject *doc, long own, double fixed, double wt0, double wt3, double wt7,
                 double ln, PyObject *end, PyObject *none, const int32_t *ids, PyObject *follows,
                 const int32_t *around, double *scores, Py_ssize_t *n)
{
    *n = 0;
    Py_ssize_t count = PyList_GET_SIZE(statics);
    if (scored_most < count)
        count = scored_most < 0 ? 0 : scored_most;
    /* with a Trigram, the ids of the words around the candidate are looked up once, not once a trigram */
    TrigramObject *tg = NULL;
    int32_t ia = 0, ib = 0, i1 = 0, i2 = 0, iend = 0;
    if (Py_IS_TYPE(prob, &Trigram_Type) && ((TrigramObject *)prob)->wid != NULL
        && ((TrigramObject *)prob)->ng_prob != NULL && PyUnicode_CheckExact(a) && PyUnicode_CheckExact(b)
        && PyUnicode_CheckExact(end) && (n1 == Py_None || (PyUnicode_CheckExact(n1) && PyUnicode_CheckExact(n2)))) {
        tg = (TrigramObject *)prob;
        if (around != NULL)  /* the ids of a, b, n1, n2 and end, as below */
            ia = around[0], ib = around[1], i1 = around[2], i2 = around[3], iend = around[4];
        else if (wid_of(tg, a, &ia) < 0 || wid_of(tg, b, &ib) < 0
                 || (n1 == Py_None ? wid_of(tg, end, &iend) : (wid_of(tg, n1, &i1) < 0 ? -1 : wid_of(tg, n2, &i2))) < 0)
            return -1;
    } else
        ids = NULL;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *item = PyList_GET_ITEM(statics, i);
        if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2) {
            PyErr_SetString(PyExc_TypeError, "a candidate is a tuple (score, word)");
            return -1;
        }
        double st = PyFloat_AsDouble(PyTuple_GET_ITEM(item, 0));
        if (st == -1.0 && PyErr_Occurred())
            return -1;
        PyObject *c = PyTuple_GET_ITEM(item, 1);
        if (st + most < floor_)
            break;
        double p1, p2, p3, window;
        long pairs;
        int in_prev = PyDict_Contains(after_prev, c);
        if (in_prev < 0)
            return -1;
        if (tg != NULL && PyUnicode_CheckExact(c)) {
            /* what prob_of does for each trigram (ngram_prob's steps), with the ids above */
            int32_t ic, h[2], used;
            if (ids != NULL)
                ic = ids[i];
            else if (wid_of(tg, c, &ic) < 0)
                return -1;
            h[0] = ia, h[1] = ib;
            p1 = (double)tg->ng_prob(tg->model, ic, h, 2, &used);
            if (n1 == Py_None) {
                h[0] = ic, h[1] = ia;
                p2 = (double)tg->ng_prob(tg->model, iend, h, 2, &used);
            } else {
                h[0] = ic, h[1] = ia;
                p2 = (double)tg->ng_prob(tg->model, i1, h, 2, &used);
                h[0] = i1, h[1] = ic;
                p3 = (double)tg->ng_prob(tg->model, i2, h, 2, &used);
            }
        } else if (n1 == Py_None) {
            if (prob_of(prob, c, a, b, &p1) < 0 || prob_of(prob, end, c, a, &p2) < 0)
                return -1;
        } else if (prob_of(prob, c, a, b, &p1) < 0 || prob_of(prob, n1, c, a, &p2) < 0
                   || prob_of(prob, n2, n1, c, &p3) < 0)
            return -1;
        if (n1 == Py_None) {
            window = p1 * ln + p2 * ln;
            pairs = in_prev + 0 - own;
        } else {
            window = p1 * ln + p2 * ln + p3 * ln;
            PyObject *fc;
            if (follows != NULL)
                fc = PyTuple_GET_ITEM(follows, i);
            else if ((fc = PyDict_GetItemWithError(following, c)) == NULL) {
                if (PyErr_Occurred())
                    return -1;
                fc = none;
            }
            int in_next = PySequence_Contains(fc, n1);
            if (in_next < 0)
                return -1;
            pairs = in_prev + in_next - own;
        }
        double delta = window - base;
        if (!(delta < 30.0))
            delta = 30.0;
        if (!(delta > -30.0))
            delta = -30.0;
        double used = 0.0;
        PyObject *u = PyDict_GetItemWithError(doc, c);
        if (u != NULL) {
            used = PyFloat_AsDouble(u);
            if (used == -1.0 && PyErr_Occurred())
                return -1;
        } else if (PyErr_Occurred())
            return -1;
        scores[(*n)++] = st + fixed + wt0 * delta + wt3 * log1p(used) + wt7 * (double)pairs;
    }
    return 0;
}

/* [(score, word)] of the first n candidates of statics, their scores given; sorted best first when
   asked (then as sorted(key=lambda x: (-x[0], x[1]))) */
static PyObject *
scored_list(PyObject *statics, const double *scores, Py_ssize_t n, int sort)
{
    Static *order = NULL;
    if (sort && n > 1) {
        if ((order = PyMem_Malloc(n * sizeof(Static))) == NULL)
            return PyErr_NoMemory();
        for (Py_ssize_t q = 0; q < n; q++) {
            order[q].st = scores[q];
            order[q].word = PyTuple_GET_ITEM(PyList_GET_ITEM(statics, q), 1);
            order[q].at = q;
        }
        qsort(order, n, sizeof(Static), cmp_static);
    }
    PyObject *out = PyList_New(n);
    for (Py_ssize_t q = 0; out != NULL && q < n; q++) {
        Py_ssize_t at = order != NULL ? order[q].at : q;
        PyObject *s = PyFloat_FromDouble(scores[at]);
        PyObject *pair = s == NULL ? NULL : PyTuple_Pack(2, s, PyTuple_GET_ITEM(PyList_GET_ITEM(statics, at), 1));
        Py_XDECREF(s);
        if (pair == NULL)
            Py_CLEAR(out);
        else
            PyList_SET_ITEM(out, q, pair);
    }
    PyMem_Free(order);
    return out;
}

/* the scores of one word's candidates (a list of (score, word)), as lm_scores below */
static PyObject *
scores_of(PyObject *prob, PyObject *statics, Py_ssize_t scored_most, double most, double floor_, PyObject *a,
          PyObject *b, PyObject *n1, PyObject *n2, double base, PyObject *after_prev, PyObject *following,
          PyObject *doc, long own, double fixed, double wt0, double wt3, double wt7, double ln, PyObject *end,
          PyObject *none)
{
    Py_ssize_t count = PyList_GET_SIZE(statics), n;
    double *scores = PyMem_Malloc((count ? count : 1) * sizeof(double));
    if (scores == NULL)
        return PyErr_NoMemory();
    PyObject *out = NULL;
    if (score_candidates(prob, statics, scored_most, most, floor_, a, b, n1, n2, base, after_prev, following, doc,
                         own, fixed, wt0, wt3, wt7, ln, end, none, NULL, NULL, NULL, scores, &n) == 0)
        out = scored_list(statics, scores, n, 0);
    PyMem_Free(scores);
    return out;
}

static PyObject *
lm_scores(PyObject *self, PyObject *args)
{
    PyObject *prob, *statics, *a, *b, *n1, *n2, *after_prev, *following, *doc, *end, *none;
    Py_ssize_t scored_most;
    double most, floor_, base, fixed, wt0, wt3, wt7, ln;
    long own;
    if (!PyArg_ParseTuple(args, "OO!nddOOOOdO!O!O!ldddddOO!:lm_scores", &prob, &PyList_Type, &statics,
                          &scored_most, &most, &floor_, &a, &b, &n1, &n2, &base, &PyDict_Type, &after_prev,
                          &PyDict_Type, &following, &PyDict_Type, &doc, &own, &fixed, &wt0, &wt3, &wt7, &ln,
                          &end, &PyDict_Type, &none))
        return NULL;
    return scores_of(prob, statics, scored_most, most, floor_, a, b, n1, n2, base, after_prev, following, doc, own,
                     fixed, wt0, wt3, wt7, ln, end, none);
}

/* ------------------------------------------------------------------------------------ */
/* lm_run: the language model's reading of one run of words, up to each word's scores

   Finder._lm_scored, compiled: which words of toks[i:j] are read (not taken by the bigram
   decoder, no word the model does not know within two places, not in the title, replaceable,
   with candidates), the trigram window of each, the bound that skips a word whose candidates
   cannot reach the floor, and the scores of its candidates (scores_of); the same look-ups, the
   same trigrams and the same sums in the same order.  It returns [(k, scores)] for each word
   whose best score reaches the floor, the scores best first (as the Python code sorts them); the
   caller makes the suspects.  A word's scores stay C doubles until it is known to be read, and its
   candidates' ids in the trigram model and their pairs in the web counts are kept for the process
   (word_lists). */

/* value of a cache (dict) at key, or of fill(*args) on a miss (fill fills the cache), as truth (0/1),
   -1 on an error */
static int
cached_truth(PyObject *cache, PyObject *key, PyObject *fill, PyObject *const *args, size_t nargs)
{
    PyObject *v = PyDict_GetItemWithError(cache, key);
    if (v != NULL)
        return PyObject_IsTrue(v);
    if (PyErr_Occurred())
        return -1;
    v = PyObject_Vectorcall(fill, args, nargs, NULL);
    if (v == NULL)
        return -1;
    int yes = PyObject_IsTrue(v);
    Py_DECREF(v);
    return yes;
}

/* A word's candidates as lm_run reads them, kept for the process in lists (Finder's shared lm_lists):
   w -> (statics, prob, ids, follows), where ids holds each candidate's id in the trigram model
   (ngram_wid, as int32; None when prob is not a Trigram) and follows following.get(c, none) for each;
   made again when the word's list or the model is another object.  A new reference. */
static PyObject *
word_lists(PyObject *lists, PyObject *w, PyObject *statics, PyObject *prob, PyObject *following, PyObject *none)
{
    PyObject *entry = PyDict_GetItemWithError(lists, w);
    if (entry != NULL && PyTuple_Check(entry) && PyTuple_GET_SIZE(entry) == 4 && PyTuple_GET_ITEM(entry, 0) == statics
        && PyTuple_GET_ITEM(entry, 1) == prob) {
        Py_INCREF(entry);
        return entry;
    }
    if (entry == NULL && PyErr_Occurred())
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(statics);
    TrigramObject *tg = Py_IS_TYPE(prob, &Trigram_Type) && ((TrigramObject *)prob)->wid != NULL
                        && ((TrigramObject *)prob)->ng_prob != NULL ? (TrigramObject *)prob : NULL;
    PyObject *follows = PyTuple_New(n);
    PyObject *ids = tg == NULL ? (Py_INCREF(Py_None), Py_None) : PyBytes_FromStringAndSize(NULL, n * sizeof(int32_t));
    if (follows == NULL || ids == NULL)
        goto fail;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyList_GET_ITEM(statics, i);
        if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2) {
            PyErr_SetString(PyExc_TypeError, "a candidate is a tuple (score, word)");
            goto fail;
        }
        PyObject *c = PyTuple_GET_ITEM(item, 1);
        PyObject *fc = PyDict_GetItemWithError(following, c);
        if (fc == NULL) {
            if (PyErr_Occurred())
                goto fail;
            fc = none;
        }
        Py_INCREF(fc);
        PyTuple_SET_ITEM(follows, i, fc);
        if (tg != NULL) {
            int32_t id = 0;  /* (a candidate that is not a str is read through prob_of, without it) */
            if (PyUnicode_CheckExact(c) && wid_of(tg, c, &id) < 0)
                goto fail;
            ((int32_t *)PyBytes_AS_STRING(ids))[i] = id;
        }
    }
    entry = PyTuple_Pack(4, statics, prob, ids, follows);
    Py_DECREF(ids);
    Py_DECREF(follows);
    if (entry == NULL)
        return NULL;
    if (PyDict_GET_SIZE(lists) > 200000)
        PyDict_Clear(lists);
    if (PyDict_SetItem(lists, w, entry) < 0) {
        Py_DECREF(entry);
        return NULL;
    }
    return entry;
fail:
    Py_XDECREF(ids);
    Py_XDECREF(follows);
    return NULL;
}

static PyObject *
lm_run(PyObject *self, PyObject *args)
{
    PyObject *toks, *ss, *hd, *taken, *ctx;
    Py_ssize_t i, j;
    double floor_;
    if (!PyArg_ParseTuple(args, "O!nnO!O!O!dO!:lm_run", &PyList_Type, &toks, &i, &j, &PyList_Type, &ss,
                          &PyList_Type, &hd, &PySet_Type, &taken, &floor_, &PyTuple_Type, &ctx))
        return NULL;
    if (PyTuple_GET_SIZE(ctx) != 23) {
        PyErr_SetString(PyExc_TypeError, "lm_run's context is a tuple of 23");
        return NULL;
    }
    PyObject *titled = PyTuple_GET_ITEM(ctx, 0), *doc = PyTuple_GET_ITEM(ctx, 1);
    PyObject *following = PyTuple_GET_ITEM(ctx, 2), *none = PyTuple_GET_ITEM(ctx, 3);
    PyObject *known_words = PyTuple_GET_ITEM(ctx, 4), *known_word = PyTuple_GET_ITEM(ctx, 5);
    PyObject *can_cache = PyTuple_GET_ITEM(ctx, 6), *replaceable = PyTuple_GET_ITEM(ctx, 7);
    PyObject *static_of = PyTuple_GET_ITEM(ctx, 8), *static_fill = PyTuple_GET_ITEM(ctx, 9);
    PyObject *prob = PyTuple_GET_ITEM(ctx, 10), *start = PyTuple_GET_ITEM(ctx, 11), *end = PyTuple_GET_ITEM(ctx, 12);
    Py_ssize_t scored_most = PyLong_AsSsize_t(PyTuple_GET_ITEM(ctx, 13));
    double c[7];
    for (int q = 0; q < 7; q++)
        c[q] = PyFloat_AsDouble(PyTuple_GET_ITEM(ctx, 14 + q));
    if (PyErr_Occurred())
        return NULL;
    double doc_most = c[0], pairs_most = c[1], wt0 = c[2], wt3 = c[3], wt4 = c[4], wt7 = c[5], ln = c[6];
    PyObject *lists = PyTuple_GET_ITEM(ctx, 22);  /* (21: unused) */
    double *scores = NULL;
    int32_t *wids = NULL;
    Py_ssize_t room = 0;
    if (!PyDict_Check(doc) || !PyDict_Check(following) || !PyDict_Check(none) || !PyDict_Check(known_words)
        || !PyDict_Check(can_cache) || !PyDict_Check(static_of) || !PyAnySet_Check(titled) || !PyDict_Check(lists)) {
        PyErr_SetString(PyExc_TypeError, "lm_run's context holds dicts and a set where Finder keeps them");
        return NULL;
    }
    if (i < 0 || j > PyList_GET_SIZE(toks) || j > PyList_GET_SIZE(ss) || j > PyList_GET_SIZE(hd) || i > j) {
        PyErr_SetString(PyExc_IndexError, "lm_run: the run is not within the tokens");
        return NULL;
    }
    Py_ssize_t nw = j - i;
    PyObject *out = PyList_New(0);
    PyObject *held = PyList_New(0);  /* keys and candidate lists read through getattr or a cache */
    PyObject **keys = PyMem_Calloc(nw + 1, sizeof(PyObject *));
    char *near = PyMem_Calloc(nw + 1, 1), *unknown = PyMem_Calloc(nw + 1, 1), *have = PyMem_Calloc(nw + 1, 1);
    double *tri = PyMem_Calloc(nw + 1, sizeof(double));
    if (out == NULL || held == NULL || keys == NULL || near == NULL || unknown == NULL || have == NULL || tri == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    for (Py_ssize_t p = 0; p < nw; p++) {
        PyObject *hold = NULL;
        keys[p] = tok_field(PyList_GET_ITEM(toks, i + p), 4, &hold);
        if (keys[p] == NULL || (hold != NULL && PyList_Append(held, hold) < 0)) {
            Py_XDECREF(hold);
            goto fail;
        }
        Py_XDECREF(hold);
        if (!PyUnicode_Check(keys[p])) {
            PyErr_SetString(PyExc_TypeError, "a token's key is a str");
            goto fail;
        }
        /* lm.known(w), through its cache */
        int yes = cached_truth(known_words, keys[p], known_word, &keys[p], 1);
        if (yes < 0)
            goto fail;
        unknown[p] = !yes;
    }
    for (Py_ssize_t p = 0; p < nw; p++)
        for (Py_ssize_t q = p - 2 < 0 ? 0 : p - 2; q < nw && q <= p + 2; q++)
            near[p] |= unknown[q];
    /* with a Trigram: each word's id in the model (ngram_wid, kept in its cache), the sentence marks'
       in wids[0], wids[1] (before the run) and wids[nw + 2] (after it): ID_AT(q) for q from -2 to nw */
    TrigramObject *tg = Py_IS_TYPE(prob, &Trigram_Type) && ((TrigramObject *)prob)->wid != NULL
                        && ((TrigramObject *)prob)->ng_prob != NULL && PyUnicode_CheckExact(start)
                        && PyUnicode_CheckExact(end) ? (TrigramObject *)prob : NULL;
    for (Py_ssize_t p = 0; tg != NULL && p < nw; p++)
        if (!PyUnicode_CheckExact(keys[p]))
            tg = NULL;  /* (a key of a str subclass: prob_of, as before) */
    if (tg != NULL) {
        if ((wids = PyMem_Malloc((nw + 3) * sizeof(int32_t))) == NULL) {
            PyErr_NoMemory();
            goto fail;
        }
        if (wid_of(tg, start, &wids[0]) < 0 || wid_of(tg, end, &wids[nw + 2]) < 0)
            goto fail;
        wids[1] = wids[0];
        for (Py_ssize_t p = 0; p < nw; p++)
            if (wid_of(tg, keys[p], &wids[p + 2]) < 0)
                goto fail;
    }
#define ID_AT(q) (wids[(q) + 2 > nw + 2 ? nw + 2 : (q) + 2])
    for (Py_ssize_t p = 0; p < nw; p++) {
        Py_ssize_t k = i + p;
        PyObject *w = keys[p];
        PyObject *kk = PyLong_FromSsize_t(k);
        if (kk == NULL)
            goto fail;
        int in = PySet_Contains(taken, kk);
        Py_DECREF(kk);
        if (in < 0)
            goto fail;
        if (in || near[p])
            continue;
        if ((in = PySet_Contains(titled, w)) < 0)
            goto fail;
        if (in)
            continue;
        /* Finder._replaceable, through its cache */
        PyObject *tok = PyList_GET_ITEM(toks, k), *hold = NULL;
        PyObject *text = tok_field(tok, 3, &hold);
        if (text == NULL)
            goto fail;
        PyObject *key = PyTuple_Pack(3, text, PyList_GET_ITEM(ss, k), PyList_GET_ITEM(hd, k));
        Py_XDECREF(hold);
        if (key == NULL)
            goto fail;
        PyObject *v = PyDict_GetItemWithError(can_cache, key);
        Py_XINCREF(v);
        Py_DECREF(key);
        if (v == NULL) {
            if (PyErr_Occurred())
                goto fail;
            PyObject *cargs[3] = {tok, PyList_GET_ITEM(ss, k), PyList_GET_ITEM(hd, k)};
            v = PyObject_Vectorcall(replaceable, cargs, 3, NULL);
            if (v == NULL)
                goto fail;
        }
        int can = PyObject_IsTrue(v);
        Py_DECREF(v);
        if (can < 0)
            goto fail;
        if (!can)
            continue;
        /* the word's candidates with their context-free scores (Finder._static_candidates) */
        PyObject *statics;
        PyObject *one[1] = {w};
        if (cached_list(static_of, w, static_fill, one, 1, held, "a word's scored candidates", &statics) < 0)
            goto fail;
        if (statics == NULL)
            continue;
        PyObject *a = p >= 1 ? keys[p - 1] : start;
        PyObject *b = p >= 2 ? keys[p - 2] : start;
        PyObject *n1 = p + 1 < nw ? keys[p + 1] : Py_None;
        PyObject *n2 = p + 2 < nw ? keys[p + 2] : end;
        double t0, t1, t2, base;
        /* with the run's ids: what prob_of does, without looking each word's id up again */
        int32_t around[5];  /* the ids of a, b, n1, n2 and end, for score_candidates */
        if (tg != NULL) {
            around[0] = ID_AT(p - 1), around[1] = ID_AT(p - 2), around[2] = ID_AT(p + 1), around[3] = ID_AT(p + 2);
            around[4] = wids[nw + 2];
        }
        if (!have[p]) {
            if (tg != NULL)
                tri[p] = (double)ng3(tg, ID_AT(p), ID_AT(p - 1), ID_AT(p - 2));
            else if (prob_of(prob, w, a, b, &tri[p]) < 0)
                goto fail;
            have[p] = 1;
        }
        t0 = tri[p];
        if (!have[p + 1]) {
            if (tg != NULL)
                tri[p + 1] = (double)ng3(tg, ID_AT(p + 1), ID_AT(p), ID_AT(p - 1));
            else if (prob_of(prob, n1 == Py_None ? end : n1, w, a, &tri[p + 1]) < 0)
                goto fail;
            have[p + 1] = 1;
        }
        t1 = tri[p + 1];
        if (n1 == Py_None)
            base = t0 * ln + t1 * ln;
        else {
            if (!have[p + 2]) {
                if (tg != NULL)
                    tri[p + 2] = (double)ng3(tg, ID_AT(p + 2), ID_AT(p + 1), ID_AT(p));
                else if (prob_of(prob, n2, n1, w, &tri[p + 2]) < 0)
                    goto fail;
                have[p + 2] = 1;
            }
            t2 = tri[p + 2];
            base = t0 * ln + t1 * ln + t2 * ln;
        }
        PyObject *first = PyList_GET_ITEM(statics, 0);
        if (!PyTuple_Check(first) || PyTuple_GET_SIZE(first) != 2) {
            PyErr_SetString(PyExc_TypeError, "a candidate is a tuple (score, word)");
            goto fail;
        }
        double st0 = PyFloat_AsDouble(PyTuple_GET_ITEM(first, 0));
        if (st0 == -1.0 && PyErr_Occurred())
            goto fail;
        double m = -base < 30.0 ? -base : 30.0;  /* min(30.0, -base) */
        if ((st0 + wt0 * m + doc_most + pairs_most) < floor_)
            continue;
        PyObject *after_prev = none;
        if (p != 0) {
            after_prev = PyDict_GetItemWithError(following, a);
            if (after_prev == NULL) {
                if (PyErr_Occurred())
                    goto fail;
                after_prev = none;
            }
        }
        int own_prev = PySequence_Contains(after_prev, w), own_next = 0;
        if (own_prev < 0)
            goto fail;
        if (n1 != Py_None) {
            PyObject *fw = PyDict_GetItemWithError(following, w);
            if (fw == NULL) {
                if (PyErr_Occurred())
                    goto fail;
                fw = none;
            }
            if ((own_next = PySequence_Contains(fw, n1)) < 0)
                goto fail;
        }
        long used = 0;
        PyObject *u = PyDict_GetItemWithError(doc, w);
        if (u != NULL) {
            used = PyLong_AsLong(u);
            if (used == -1 && PyErr_Occurred())
                goto fail;
        } else if (PyErr_Occurred())
            goto fail;
        double fixed = wt4 * log1p((double)(used - 1 > 0 ? used - 1 : 0));
        double most = wt0 * m + doc_most + pairs_most + fixed;
        /* the candidates' scores, in C until the word is known to be read: then as a list, best first */
        Py_ssize_t ns = PyList_GET_SIZE(statics);
        if (ns > room) {
            PyMem_Free(scores);
            if ((scores = PyMem_Malloc(ns * sizeof(double))) == NULL) {
                PyErr_NoMemory();
                goto fail;
            }
            room = ns;
        }
        PyObject *entry = word_lists(lists, w, statics, prob, following, none);
        if (entry == NULL)
            goto fail;
        PyObject *ids = PyTuple_GET_ITEM(entry, 2);
        int err = score_candidates(prob, statics, scored_most, most, floor_, a, b, n1, n2, base, after_prev,
                                   following, doc, (long)(own_prev + own_next), fixed, wt0, wt3, wt7, ln, end, none,
                                   ids == Py_None ? NULL : (const int32_t *)PyBytes_AS_STRING(ids),
                                   PyTuple_GET_ITEM(entry, 3), tg != NULL ? around : NULL, scores, &ns);
        Py_DECREF(entry);
        if (err < 0)
            goto fail;
        double best = 0.0;
        for (Py_ssize_t q = 0; q < ns; q++)
            if (q == 0 || scores[q] > best)
                best = scores[q];
        if (ns == 0 || !(best >= floor_))
            continue;
        PyObject *scored = scored_list(statics, scores, ns, 1);
        if (scored == NULL)
            goto fail;
        PyObject *hit = Py_BuildValue("(nN)", k, scored);
        if (hit == NULL || PyList_Append(out, hit) < 0) {
            Py_XDECREF(hit);
            goto fail;
        }
        Py_DECREF(hit);
    }
    goto done;
fail:
    Py_CLEAR(out);
done:
#undef ID_AT
    Py_XDECREF(held);
    PyMem_Free(wids);
    PyMem_Free(scores);
    PyMem_Free(keys);
    PyMem_Free(near);
    PyMem_Free(unknown);
    PyMem_Free(have);
    PyMem_Free(tri);
    return out;
}

/* ------------------------------------------------------------------------------------ */
/* static_candidates: Finder._static_candidates, a word's candidate originals for the model's
   reading with the part of their score that needs no context, best first

   The word's line of the candidate table is read as Broad._entry reads it (rest.split("|"), each
   item partitioned at ":"), each candidate's Moby size as Broad.size gives it (through and into its
   cache), its log count as Scorer.word (through and into the counts' cache), and the score summed
   in Python's order; then the phrase tables' swaps that the line lacks, sorted; then the sort by
   (-score, word), stable. */

/* Broad.size(word): through and into its cache (sizes), from the line's first field */
static int
broad_size(PyObject *lines, PyObject *sizes, PyObject *word, double *out)
{
    PyObject *v = PyDict_GetItemWithError(sizes, word);
    if (v != NULL) {
        Py_INCREF(v);
    } else {
        if (PyErr_Occurred())
            return -1;
        PyObject *line = PyDict_GetItemWithError(lines, word);
        if (line == NULL) {
            if (PyErr_Occurred())
                return -1;
            v = PyLong_FromLong(0);
        } else {
            if (!PyUnicode_Check(line)) {
                PyErr_SetString(PyExc_TypeError, "a line of the candidate table is a str");
                return -1;
            }
            Py_ssize_t tab = PyUnicode_FindChar(line, '\t', 0, PyUnicode_GET_LENGTH(line), 1);
            if (tab == -2)
                return -1;
            PyObject *field = tab < 0 ? (Py_INCREF(line), line) : PyUnicode_Substring(line, 0, tab);
            if (field == NULL)
                return -1;
            v = PyLong_FromUnicodeObject(field, 10);  /* int(field) */
            Py_DECREF(field);
        }
        if (v == NULL || PyDict_SetItem(sizes, word, v) < 0) {
            Py_XDECREF(v);
            return -1;
        }
    }
    /* -math.log(max(1, size)) is taken by the caller from this: max(1, size) as a double */
    int small = 0;
    PyObject *one = PyLong_FromLong(1);
    if (one == NULL || (small = PyObject_RichCompareBool(v, one, Py_LT)) < 0) {  /* max(1, v) */
        Py_XDECREF(one);
        Py_DECREF(v);
        return -1;
    }
    double x = small ? 1.0 : PyLong_AsDouble(v);
    Py_DECREF(one);
    Py_DECREF(v);
    if (x == -1.0 && PyErr_Occurred())
        return -1;
    *out = x;
    return 0;
}

/* Finder._candidate_ok(words): no word of it banned */
static int
candidate_ok(PyObject *banned, PyObject *words)
{
    Py_ssize_t space = PyUnicode_FindChar(words, ' ', 0, PyUnicode_GET_LENGTH(words), 1);
    if (space == -2)
        return -1;
    if (space < 0) {
        int in = PySequence_Contains(banned, words);
        return in < 0 ? -1 : !in;
    }
    PyObject *sep = PyUnicode_FromOrdinal(' ');
    PyObject *parts = sep == NULL ? NULL : PyUnicode_Split(words, sep, -1);
    Py_XDECREF(sep);
    if (parts == NULL)
        return -1;
    int ok = 1;
    for (Py_ssize_t q = 0; q < PyList_GET_SIZE(parts) && ok == 1; q++) {
        int in = PySequence_Contains(banned, PyList_GET_ITEM(parts, q));
        ok = in < 0 ? -1 : !in;
    }
    Py_DECREF(parts);
    return ok;
}

/* Scorer.word(w): the log count, or the scorer's least one for an unlisted word; 1 when the
   Python method must answer */
static int
scorer_word(Counts *m, PyObject *w, double *out)
{
    int found = 0;
    int err = word_log(m, w, &found, out);
    if (err == 0 && !found)
        *out = m->min_word;
    return err;
}

/* scorer_word, with Scorer.word (``word_py``) answering where the C code does not read the count;
   -1 on an error */
static int
word_count(Counts *m, PyObject *word_py, PyObject *w, double *out)
{
    int err = scorer_word(m, w, out);
    if (err <= 0)
        return err;
    PyObject *v = PyObject_CallOneArg(word_py, w);
    *out = v == NULL ? -1.0 : PyFloat_AsDouble(v);
    Py_XDECREF(v);
    return *out == -1.0 && PyErr_Occurred() ? -1 : 0;
}

/* found.append((score, c)); -1 on an error */
static int
append_scored(PyObject *found, double score, PyObject *c)
{
    PyObject *sv = PyFloat_FromDouble(score);
    PyObject *pair = sv == NULL ? NULL : PyTuple_Pack(2, sv, c);
    Py_XDECREF(sv);
    int res = pair == NULL ? -1 : PyList_Append(found, pair);
    Py_XDECREF(pair);
    return res;
}

static PyObject *
static_candidates(PyObject *self, PyObject *args)
{
    PyObject *w, *ctx, *counts_tuple, *lines, *sizes, *banned, *swaps_of, *known_words, *known_word, *word_py;
    double bias, wt[7];
    if (!PyArg_ParseTuple(args, "UO!:static_candidates", &w, &PyTuple_Type, &ctx))
        return NULL;
    if (!PyArg_ParseTuple(ctx, "O!O!O!OO!O!OOd(ddddddd):static_candidates' context", &PyDict_Type, &lines,
                          &PyDict_Type, &sizes, &PyTuple_Type, &counts_tuple, &banned, &PyDict_Type, &swaps_of,
                          &PyDict_Type, &known_words, &known_word, &word_py, &bias, &wt[0], &wt[1], &wt[2], &wt[3],
                          &wt[4], &wt[5], &wt[6]))
        return NULL;
    /* wt: the weights channel (1), frequency (2), wordnet_synonym (5), wordnet_related (6),
       both_ways (8), moby (9) and swap (10) of LM_FEATURES */
    Counts m;
    if (counts_of(counts_tuple, &m) < 0)
        return NULL;
    PyObject *found = PyList_New(0), *listed = PySet_New(NULL), *items = NULL, *ordered = NULL;
    PyObject *pipe = PyUnicode_FromOrdinal('|');
    Static *all = NULL;
    if (found == NULL || listed == NULL || pipe == NULL)
        goto fail;
    double uw;
    if (word_count(&m, word_py, w, &uw) < 0)
        goto fail;
    PyObject *swaps = PyDict_GetItemWithError(swaps_of, w);  /* self.swaps.get(w, ()) */
    if (swaps == NULL && PyErr_Occurred())
        goto fail;
    PyObject *line = PyDict_GetItemWithError(lines, w);
    if (line == NULL && PyErr_Occurred())
        goto fail;
    if (line != NULL) {  /* Broad._entry(w)'s candidates */
        if (!PyUnicode_Check(line)) {
            PyErr_SetString(PyExc_TypeError, "a line of the candidate table is a str");
            goto fail;
        }
        Py_ssize_t n = PyUnicode_GET_LENGTH(line);
        Py_ssize_t tab = PyUnicode_FindChar(line, '\t', 0, n, 1);
        if (tab == -2)
            goto fail;
        PyObject *rest = PyUnicode_Substring(line, tab < 0 ? n : tab + 1, n);  /* line.partition("\t")[2] */
        if (rest == NULL)
            goto fail;
        items = PyUnicode_Split(rest, pipe, -1);
        Py_DECREF(rest);
        if (items == NULL)
            goto fail;
        for (Py_ssize_t q = 0; q < PyList_GET_SIZE(items); q++) {
            PyObject *item = PyList_GET_ITEM(items, q);
            Py_ssize_t len = PyUnicode_GET_LENGTH(item);
            Py_ssize_t colon = PyUnicode_FindChar(item, ':', 0, len, 1);
            if (colon == -2)
                goto fail;
            int flag[4] = {0, 0, 0, 0};  /* "m", "b", "s", "r" in the letters after the colon */
            if (colon >= 0) {
                const Py_UCS4 letters[4] = {'m', 'b', 's', 'r'};
                for (int f = 0; f < 4; f++) {
                    Py_ssize_t at = PyUnicode_FindChar(item, letters[f], colon + 1, len, 1);
                    if (at == -2)
                        goto fail;
                    flag[f] = at >= 0;
                }
            }
            PyObject *c = colon < 0 ? (Py_INCREF(item), item) : PyUnicode_Substring(item, 0, colon);
            if (c == NULL)
                goto fail;
            /* the list holds c from here on: borrowed below */
            int ok = PyList_SetItem(items, q, c) < 0 ? -1 : candidate_ok(banned, c);
            if (ok < 0)
                goto fail;
            if (!ok)
                continue;
            if (PySet_Add(listed, c) < 0)
                goto fail;
            double size, wc;
            if (broad_size(lines, sizes, c, &size) < 0)
                goto fail;
            if (word_count(&m, word_py, c, &wc) < 0)
                goto fail;
            int swap = swaps == NULL ? 0 : PySequence_Contains(swaps, c);
            if (swap < 0)
                goto fail;
            double st = (bias + wt[0] * -log(size) + wt[1] * (wc - uw) + wt[2] * (double)flag[2]
                         + wt[3] * (double)flag[3] + wt[4] * (double)flag[1] + wt[5] * (double)flag[0]
                         + wt[6] * (double)swap);
            if (append_scored(found, st, c) < 0)
                goto fail;
        }
    }
    if (swaps != NULL) {  /* a known swap of the phrase tables that the line lacks, in sorted order */
        ordered = PySequence_List(swaps);
        if (ordered == NULL || PyList_Sort(ordered) < 0)
            goto fail;
        for (Py_ssize_t q = 0; q < PyList_GET_SIZE(ordered); q++) {
            PyObject *c = PyList_GET_ITEM(ordered, q);
            if (!PyUnicode_Check(c)) {
                PyErr_SetString(PyExc_TypeError, "a known swap is a str");
                goto fail;
            }
            int in = PySet_Contains(listed, c);
            if (in < 0)
                goto fail;
            if (in)
                continue;
            int ok = candidate_ok(banned, c);
            if (ok < 0)
                goto fail;
            if (!ok)
                continue;
            ok = cached_truth(known_words, c, known_word, &c, 1);
            if (ok < 0)
                goto fail;
            if (!ok)
                continue;
            double size, wc;
            if (broad_size(lines, sizes, c, &size) < 0)
                goto fail;
            if (word_count(&m, word_py, c, &wc) < 0)
                goto fail;
            double st = bias + wt[0] * -log(size) + wt[1] * (wc - uw) + wt[6];
            if (append_scored(found, st, c) < 0)
                goto fail;
        }
    }
    /* found.sort(key=lambda x: (-x[0], x[1])) */
    Py_ssize_t count = PyList_GET_SIZE(found);
    if (count > 1) {
        all = PyMem_Malloc(count * sizeof(Static));
        PyObject **was = PyMem_Malloc(count * sizeof(PyObject *));
        if (all == NULL || was == NULL) {
            PyMem_Free(was);
            PyErr_NoMemory();
            goto fail;
        }
        for (Py_ssize_t q = 0; q < count; q++) {
            PyObject *pair = PyList_GET_ITEM(found, q);
            all[q].st = PyFloat_AS_DOUBLE(PyTuple_GET_ITEM(pair, 0));
            all[q].word = PyTuple_GET_ITEM(pair, 1);
            all[q].at = q;
            was[q] = pair;
        }
        qsort(all, count, sizeof(Static), cmp_static);
        for (Py_ssize_t q = 0; q < count; q++)  /* the list keeps its references, in the new order */
            PyList_SET_ITEM(found, q, was[all[q].at]);
        PyMem_Free(was);
    }
    PyMem_Free(all);
    Py_XDECREF(items);
    Py_XDECREF(ordered);
    Py_DECREF(listed);
    Py_DECREF(pipe);
    return found;
fail:
    PyMem_Free(all);
    Py_XDECREF(items);
    Py_XDECREF(ordered);
    Py_XDECREF(listed);
    Py_XDECREF(pipe);
    Py_XDECREF(found);
    return NULL;
}

/* ------------------------------------------------------------------------------------ */

static PyMethodDef methods[] = {
    {"tokenize", tokenize, METH_VARARGS, "tokens.tokenize, compiled: tokenize(text, Token)"},
    {"para", para, METH_VARARGS, "tokens.Para.of, compiled: para(text, Token) -> (tokens, sentence_start, heading)"},
    {"segment", segment, METH_VARARGS, "Finder._segment, compiled: the bigram decoder of one run of words"},
    {"pair_score", pair_score, METH_VARARGS, "Scorer._trans, compiled: pair_score(counts, prev, w), None when it cannot tell"},
    {"word_runs", word_runs, METH_VARARGS, "statistical._word_runs, compiled: the (start, end) of each run of words"},
    {"may_replace", may_replace_py, METH_VARARGS, "Finder._may_replace, compiled (for the tests)"},
    {"group_alts", group_alts, METH_VARARGS, "Finder._candidates' loop over one group of neighbours, compiled"},
    {"count_runs", count_runs, METH_VARARGS, "DocumentCounts.count, compiled: count_runs(toks, words, pairs) -> words counted"},
    {"run_keys", run_keys, METH_VARARGS, "statistical._run_keys, compiled: (i, j, key) of each run of words"},
    {"screen", screen, METH_VARARGS, "scan._screen, compiled: the tokens each loop of scan.scan looks at"},
    {"lm_scores", lm_scores, METH_VARARGS, "Finder._lm_segment's scores of one word's candidates, compiled"},
    {"lm_run", lm_run, METH_VARARGS, "Finder._lm_scored, compiled: the language model's scores of one run's words"},
    {"static_candidates", static_candidates, METH_VARARGS,
     "Finder._static_candidates, compiled: a word's candidates with their context-free scores, best first"},
    {"trigram", trigram, METH_VARARGS, "lm.TrigramModel.prob, compiled: trigram(model, library, at) -> Trigram"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_speedups", NULL, -1, methods};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    KIND_W = PyUnicode_InternFromString("w");
    KIND_P = PyUnicode_InternFromString("p");
    KIND_X = PyUnicode_InternFromString("x");
    EMPTY = PyUnicode_InternFromString("");
    CURLY = PyUnicode_FromString("\xe2\x80\x99");
    STRAIGHT = PyUnicode_InternFromString("'");
    if (!KIND_W || !KIND_P || !KIND_X || !EMPTY || !CURLY || !STRAIGHT)
        return NULL;
    if (PyType_Ready(&Trigram_Type) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    Py_INCREF(&Trigram_Type);
    if (PyModule_AddObject(m, "Trigram", (PyObject *)&Trigram_Type) < 0) {
        Py_DECREF(&Trigram_Type);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
