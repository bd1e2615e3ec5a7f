/* Compiled inner loops of the repair step (optional; see handouts/repair/speedups.py).
 *
 * Each function here does exactly what a pure-Python function beside it does, with the
 * same Python objects and the same floating-point operations in the same order (built with
 * -ffp-contract=off, so no multiply-add is fused), so the repair's output is the same to the
 * last bit with or without this module; tests/test_repair_speedups.py compares the two.
 *
 *   tokenize(text, Token)         tokens.tokenize: the same tokens as tokens._TOKEN
 *   rank(...)                     statistical.Finder._prune's ranking of candidates
 *   lm_scores(...)                statistical.Finder._lm_segment's loop over a word's candidates
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------ */
/* tokenize */

static PyObject *KIND_W, *KIND_P, *KIND_X, *EMPTY, *CURLY, *STRAIGHT, *ZERO;

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
/* rank: Finder._prune's choice of candidates */

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

static PyObject *
rank(PyObject *self, PyObject *args)
{
    PyObject *alts, *after_left, *right1, *keys, *doc_words;
    Py_ssize_t p, limit;
    long own;
    if (!PyArg_ParseTuple(args, "O!O!OO!nlO!n:rank", &PyList_Type, &alts, &PyDict_Type, &after_left, &right1,
                          &PyList_Type, &keys, &p, &own, &PyDict_Type, &doc_words, &limit))
        return NULL;
    Py_ssize_t count = PyList_GET_SIZE(alts), nk = PyList_GET_SIZE(keys);
    Ranked *ranked = PyMem_Malloc(sizeof(Ranked) * (count ? count : 1));
    if (ranked == NULL)
        return PyErr_NoMemory();
    Py_ssize_t m = 0;
    for (Py_ssize_t n = 0; n < count; n++) {
        PyObject *alt = PyList_GET_ITEM(alts, n);
        if (!PyTuple_Check(alt) || PyTuple_GET_SIZE(alt) != 7) {
            PyErr_SetString(PyExc_TypeError, "a candidate is a tuple of 7");
            goto fail;
        }
        PyObject *first = PyTuple_GET_ITEM(alt, 1);
        Py_ssize_t length = PyLong_AsSsize_t(PyTuple_GET_ITEM(alt, 3));
        if (length == -1 && PyErr_Occurred())
            goto fail;
        double cost = PyFloat_AsDouble(PyTuple_GET_ITEM(alt, 4));
        if (cost == -1.0 && PyErr_Occurred())
            goto fail;
        PyObject *after_last = PyTuple_GET_ITEM(alt, 6);
        PyObject *right;
        if (length == 1)
            right = right1;
        else
            right = p + length < nk ? PyList_GET_ITEM(keys, p + length) : Py_None;
        int a = PyDict_Contains(after_left, first);
        if (a < 0)
            goto fail;
        int b = 0;
        if (right != Py_None) {
            b = PySequence_Contains(after_last, right);
            if (b < 0)
                goto fail;
        }
        long pairs = a + b;
        PyObject *u = PyDict_GetItemWithError(doc_words, first);
        int used = 0;
        if (u != NULL) {
            used = PyObject_RichCompareBool(u, ZERO, Py_GT);
            if (used < 0)
                goto fail;
        } else if (PyErr_Occurred())
            goto fail;
        /* pairs > own or (used and pairs >= own and (pairs or used)) */
        if (pairs > own || (used && pairs >= own)) {
            ranked[m].pairs = pairs;
            ranked[m].used = used;
            ranked[m].cost = cost;
            ranked[m].n = n;
            m++;
        }
    }
    qsort(ranked, m, sizeof(Ranked), cmp_ranked);
    if (m > limit)
        m = limit < 0 ? 0 : limit;
    PyObject *out = PyList_New(m);
    if (out == NULL)
        goto fail;
    for (Py_ssize_t i = 0; i < m; i++) {
        PyObject *v = PyLong_FromSsize_t(ranked[i].n);
        if (v == NULL) {
            Py_DECREF(out);
            goto fail;
        }
        PyList_SET_ITEM(out, i, v);
    }
    PyMem_Free(ranked);
    return out;
fail:
    PyMem_Free(ranked);
    return NULL;
}

/* ------------------------------------------------------------------------------------ */
/* lm_scores: the language model's reading of one word's candidates */

static int
prob_of(PyObject *prob, PyObject *w, PyObject *a, PyObject *b, double *out)
{
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
    PyObject *out = PyList_New(0);
    if (out == NULL)
        return NULL;
    Py_ssize_t count = PyList_GET_SIZE(statics);
    if (scored_most < count)
        count = scored_most < 0 ? 0 : scored_most;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *item = PyList_GET_ITEM(statics, i);
        if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2) {
            PyErr_SetString(PyExc_TypeError, "a candidate is a tuple (score, word)");
            goto fail;
        }
        double st = PyFloat_AsDouble(PyTuple_GET_ITEM(item, 0));
        if (st == -1.0 && PyErr_Occurred())
            goto fail;
        PyObject *c = PyTuple_GET_ITEM(item, 1);
        if (st + most < floor_)
            break;
        double p1, p2, p3, window;
        long pairs;
        int in_prev = PyDict_Contains(after_prev, c);
        if (in_prev < 0)
            goto fail;
        if (n1 == Py_None) {
            if (prob_of(prob, c, a, b, &p1) < 0 || prob_of(prob, end, c, a, &p2) < 0)
                goto fail;
            window = p1 * ln + p2 * ln;
            pairs = in_prev + 0 - own;
        } else {
            if (prob_of(prob, c, a, b, &p1) < 0 || prob_of(prob, n1, c, a, &p2) < 0
                || prob_of(prob, n2, n1, c, &p3) < 0)
                goto fail;
            window = p1 * ln + p2 * ln + p3 * ln;
            PyObject *fc = PyDict_GetItemWithError(following, c);
            if (fc == NULL) {
                if (PyErr_Occurred())
                    goto fail;
                fc = none;
            }
            int in_next = PySequence_Contains(fc, n1);
            if (in_next < 0)
                goto fail;
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
                goto fail;
        } else if (PyErr_Occurred())
            goto fail;
        double score = st + fixed + wt0 * delta + wt3 * log1p(used) + wt7 * (double)pairs;
        PyObject *s = PyFloat_FromDouble(score);
        if (s == NULL)
            goto fail;
        PyObject *pair = PyTuple_Pack(2, s, c);
        Py_DECREF(s);
        if (pair == NULL || PyList_Append(out, pair) < 0) {
            Py_XDECREF(pair);
            goto fail;
        }
        Py_DECREF(pair);
    }
    return out;
fail:
    Py_DECREF(out);
    return NULL;
}

/* ------------------------------------------------------------------------------------ */

static PyMethodDef methods[] = {
    {"tokenize", tokenize, METH_VARARGS, "tokens.tokenize, compiled: tokenize(text, Token)"},
    {"para", para, METH_VARARGS, "tokens.Para.of, compiled: para(text, Token) -> (tokens, sentence_start, heading)"},
    {"rank", rank, METH_VARARGS, "Finder._prune's ranking of candidates, compiled"},
    {"lm_scores", lm_scores, METH_VARARGS, "Finder._lm_segment's scores of one word's candidates, compiled"},
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
    ZERO = PyLong_FromLong(0);
    if (!ZERO || !KIND_W || !KIND_P || !KIND_X || !EMPTY || !CURLY || !STRAIGHT)
        return NULL;
    return PyModule_Create(&module);
}
