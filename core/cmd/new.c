/* new.c: `nnlab new KIND NAME [-o FILE] [--force]`: writes a commented
 * starting file for a plugin of that kind (init, optim, reg, data) that builds
 * and passes `nnlab check` as generated. "@NAME@" in the templates becomes
 * NAME. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "nnlab/io.h"
#include "registry.h"

static const char tpl_init[] =
    "/* @NAME@: an nnlab initializer plugin, started with `nnlab new init @NAME@`.\n"
    " *\n"
    " * As generated: W ~ N(0, gain / fan_in), b = 0 (gain 2 is He's, 1 LeCun's).\n"
    " * Replace fill() with your scheme and keep variance() (and mean(), if not 0)\n"
    " * in step with it. What nnlab check verifies:\n"
    " *  - fill() sets every element of W (fan_out x fan_in, row-major) and of b\n"
    " *    (fan_out), drawing only from the given rng: the same seed gives the\n"
    " *    same weights, another seed other ones;\n"
    " *  - the mean and variance measured over a large matrix match mean() and\n"
    " *    variance() within 5 standard errors;\n"
    " *  - a small network initialised with it passes the gradient check.\n"
    " *\n"
    " * Build:  cc -shared -fPIC $(pkg-config --cflags --libs nnlab) @NAME@.c -o @NAME@.so\n"
    " * Check:  nnlab check ./@NAME@.so\n"
    " * Use:    init = { plugin = \"@NAME@\"; gain = 2.0; };  (NNLAB_PLUGIN_PATH or --plugin-path)\n"
    " */\n"
    "#include <nnlab/plugin.h>\n"
    "\n"
    "#include <math.h>\n"
    "#include <string.h>\n"
    "\n"
    "enum { P_GAIN };\n"
    "\n"
    "static const nn_param_decl params[] = {\n"
    "    /* name, type, default, default string, min, max, choices, one-line doc */\n"
    "    {\"gain\", NN_T_REAL, 2.0, NULL, 1e-12, 1e6, NULL, \"variance numerator: W ~ N(0, gain / fan_in)\"},\n"
    "};\n"
    "\n"
    "static int fill(const nn_value *hp, nn_rng *rng, nn_real *W, nn_real *b, int fan_in, int fan_out)\n"
    "{\n"
    "    size_t n = (size_t)fan_in * (size_t)fan_out;\n"
    "    nn_real scale = sqrt(hp[P_GAIN].r / fan_in);\n"
    "    for (size_t i = 0; i < n; i++)\n"
    "        W[i] = scale * nn_rng_randn(rng); /* row-major, like NumPy's randn(fan_out, fan_in) */\n"
    "    memset(b, 0, (size_t)fan_out * sizeof(nn_real));\n"
    "    return NN_OK;\n"
    "}\n"
    "\n"
    "/* The variance of W's elements this scheme promises. */\n"
    "static double variance(const nn_value *hp, int fan_in, int fan_out) { return hp[P_GAIN].r / fan_in; }\n"
    "\n"
    "/* fill, variance, mean (NULL: 0) */\n"
    "static const nn_init_ops ops = {fill, variance, NULL};\n"
    "\n"
    "static const nn_plugin desc = {\n"
    "    NN_ABI_VERSION, sizeof(nn_real), NN_KIND_INIT,\n"
    "    \"@NAME@\",                                     /* must equal the file name, @NAME@.so */\n"
    "    \"scaled normal weights N(0, gain / fan_in), zero biases (edit this description)\",\n"
    "    NN_ARRAY_LEN(params), params, {.init = &ops}};\n"
    "\n"
    "NN_PLUGIN(desc)\n";

static const char tpl_optim[] =
    "/* @NAME@: an nnlab optimizer plugin, started with `nnlab new optim @NAME@`.\n"
    " *\n"
    " * As generated it is heavy-ball momentum:\n"
    " *     v = momentum * v + grad\n"
    " *     param -= lr * v\n"
    " * Replace step() (and the hyperparameters) with your rule. What nnlab check\n"
    " * verifies, and why:\n"
    " *  - no state of its own: anything that must survive between steps lives in\n"
    " *    the n_slots arrays the core allocates, zeroes, saves and restores\n"
    " *    (s->slot[0] .. s->slot[n_slots - 1], each as long as param); never in\n"
    " *    static variables, or two runs (or two tensors) would share it;\n"
    " *  - elementwise: step() gets flat arrays (one call per tensor), and the\n"
    " *    update must not depend on how the parameters are split;\n"
    " *  - use s->lr, the learning rate after the schedule, not hp[P_LR];\n"
    " *  - a zero gradient leaves the parameters unchanged, unless the rule\n"
    " *    shrinks them anyway (AdamW-style decay): then set\n"
    " *    NN_OPTIM_DECOUPLED_DECAY in ops.flags;\n"
    " *  - no NaN on zero or huge (1e300) gradients at the defaults;\n"
    " *  - it converges on a convex quadratic and makes progress on Rosenbrock.\n"
    " *\n"
    " * Build:  cc -shared -fPIC $(pkg-config --cflags --libs nnlab) @NAME@.c -o @NAME@.so\n"
    " * Check:  nnlab check ./@NAME@.so\n"
    " * Use:    put @NAME@.so in a folder on NNLAB_PLUGIN_PATH (or pass\n"
    " *         --plugin-path DIR), then in an experiment:\n"
    " *             optim = { plugin = \"@NAME@\"; lr = 0.05; momentum = 0.9; };\n"
    " */\n"
    "#include <nnlab/plugin.h>\n"
    "\n"
    "/* Hyperparameters, in declaration order: hp[P_LR], hp[P_MOMENTUM]. */\n"
    "enum { P_LR, P_MOMENTUM };\n"
    "\n"
    "static const nn_param_decl params[] = {\n"
    "    /* name, type, default, default string, min, max, choices, one-line doc.\n"
    "     * An optimizer's first hyperparameter is always \"lr\" (the schedule\n"
    "     * starts from it). The core refuses values outside [min, max]. */\n"
    "    {\"lr\", NN_T_REAL, 0.01, NULL, 0, 10, NULL, \"learning rate\"},\n"
    "    {\"momentum\", NN_T_REAL, 0.9, NULL, 0, 0.999, NULL, \"velocity decay; 0 = plain gradient descent\"},\n"
    "};\n"
    "\n"
    "/* One step on one tensor: param, grad and every slot have s->n elements;\n"
    " * s->t counts steps from 1; s->is_bias is 1 for a bias vector. */\n"
    "static void step(const nn_value *hp, const nn_optim_step *s)\n"
    "{\n"
    "    nn_real mu = hp[P_MOMENTUM].r;\n"
    "    nn_real *v = s->slot[0]; /* slot 0: the velocity */\n"
    "    for (size_t i = 0; i < s->n; i++) {\n"
    "        v[i] = mu * v[i] + s->grad[i];\n"
    "        s->param[i] -= s->lr * v[i];\n"
    "    }\n"
    "}\n"
    "\n"
    "/* n_slots (per-parameter state arrays), flags, step */\n"
    "static const nn_optim_ops ops = {.n_slots = 1, .flags = 0, .step = step};\n"
    "\n"
    "static const nn_plugin desc = {\n"
    "    NN_ABI_VERSION, sizeof(nn_real), NN_KIND_OPTIM,\n"
    "    \"@NAME@\",                                     /* must equal the file name, @NAME@.so */\n"
    "    \"heavy-ball momentum (edit this one-line description)\",\n"
    "    NN_ARRAY_LEN(params), params, {.optim = &ops}};\n"
    "\n"
    "/* The one exported symbol: returns the static, read-only descriptor. */\n"
    "NN_PLUGIN(desc)\n";

static const char tpl_reg[] =
    "/* @NAME@: an nnlab regularizer plugin, started with `nnlab new reg @NAME@`.\n"
    " *\n"
    " * As generated: an L2 weight penalty, lambda / (2m) * sum W^2 added to the\n"
    " * loss, lambda W / m added to the gradient (biases not penalized). A\n"
    " * regularizer may also (or instead) define\n"
    " *  - act_forward / act_backward: a training-time hook on hidden activations\n"
    " *    (dropout, noise), with a mask array the core keeps between the two and\n"
    " *    a random stream the core owns;\n"
    " *  - begin_pass: called at the start of every training forward pass;\n"
    " *  - constrain: applied to each W after every optimizer step (max-norm).\n"
    " * What nnlab check verifies:\n"
    " *  - the penalty gradient and the activation backward agree with central\n"
    " *    differences (relative difference < 1e-7), also in a small network;\n"
    " *  - the neutral setting changes nothing. nnlab check finds it by a rule:\n"
    " *    every real hyperparameter whose range contains 0 is set to 0, any\n"
    " *    other to the top of its range. So declare \"strength\" parameters with\n"
    " *    min 0 (lambda = 0 turns this one off) and keep-probabilities with max 1;\n"
    " *  - evaluation never runs the hooks; a training pass is reproducible from\n"
    " *    the same stream state (draw only from a->rng).\n"
    " *\n"
    " * Build:  cc -shared -fPIC $(pkg-config --cflags --libs nnlab) @NAME@.c -o @NAME@.so\n"
    " * Check:  nnlab check ./@NAME@.so\n"
    " * Use:    reg = ( { plugin = \"@NAME@\"; lambda = 0.1; } );  (NNLAB_PLUGIN_PATH or --plugin-path)\n"
    " */\n"
    "#include <nnlab/plugin.h>\n"
    "\n"
    "enum { P_LAMBDA };\n"
    "\n"
    "static const nn_param_decl params[] = {\n"
    "    /* name, type, default, default string, min, max, choices, one-line doc */\n"
    "    {\"lambda\", NN_T_REAL, 0.01, NULL, 0, 1e6, NULL, \"strength; 0 = off\"},\n"
    "};\n"
    "\n"
    "/* One tensor: w (rows x cols, a bias has cols 1), add d(penalty)/dw into\n"
    " * t->grad and return the penalty; t->m examples in the batch. */\n"
    "static nn_real penalty(const nn_value *hp, const nn_reg_tensor *t)\n"
    "{\n"
    "    nn_real lambda = hp[P_LAMBDA].r;\n"
    "    if (lambda == 0 || t->is_bias)\n"
    "        return 0;\n"
    "    size_t n = (size_t)t->rows * (size_t)t->cols;\n"
    "    nn_real m = (nn_real)t->m, sum = 0;\n"
    "    for (size_t i = 0; i < n; i++) {\n"
    "        sum += t->w[i] * t->w[i];\n"
    "        t->grad[i] += lambda * t->w[i] / m;\n"
    "    }\n"
    "    return lambda / (2 * m) * sum;\n"
    "}\n"
    "\n"
    "/* penalty, begin_pass, act_forward, act_backward, constrain */\n"
    "static const nn_reg_ops ops = {penalty, NULL, NULL, NULL, NULL};\n"
    "\n"
    "static const nn_plugin desc = {\n"
    "    NN_ABI_VERSION, sizeof(nn_real), NN_KIND_REG,\n"
    "    \"@NAME@\",                                     /* must equal the file name, @NAME@.so */\n"
    "    \"L2 weight penalty lambda / (2m) sum W^2 (edit this description)\",\n"
    "    NN_ARRAY_LEN(params), params, {.reg = &ops}};\n"
    "\n"
    "NN_PLUGIN(desc)\n";

static const char tpl_data[] =
    "/* @NAME@: an nnlab data plugin, started with `nnlab new data @NAME@`.\n"
    " *\n"
    " * As generated: Gaussian blobs, one per class, centres on a circle of\n"
    " * radius `spread` in the first two of `features` dimensions. Replace load()\n"
    " * with your reader: allocate each split with nn_split_alloc (the core owns\n"
    " * the memory), fill X (m x d, row-major) and y (labels 0 .. n_classes-1).\n"
    " * Read files relative to ctx->base_dir (the experiment file's folder) and\n"
    " * report a missing file with NN_EIO and a message naming it.\n"
    " * What nnlab check verifies: shapes and labels consistent, every declared\n"
    " * class present, no NaN or Inf, the same seed gives identical data (draw\n"
    " * only from ctx->rng), and no row occurs in two splits.\n"
    " *\n"
    " * Build:  cc -shared -fPIC $(pkg-config --cflags --libs nnlab) @NAME@.c -o @NAME@.so\n"
    " * Check:  nnlab check ./@NAME@.so\n"
    " * Use:    data = { plugin = \"@NAME@\"; n_train = 500; };  (NNLAB_PLUGIN_PATH or --plugin-path)\n"
    " */\n"
    "#include <nnlab/plugin.h>\n"
    "\n"
    "#include <math.h>\n"
    "#include <stdio.h>\n"
    "\n"
    "enum { P_N_TRAIN, P_N_TEST, P_CLASSES, P_FEATURES, P_SPREAD };\n"
    "\n"
    "static const nn_param_decl params[] = {\n"
    "    /* name, type, default, default string, min, max, choices, one-line doc */\n"
    "    {\"n_train\", NN_T_INT, 300, NULL, 2, 1e7, NULL, \"training examples\"},\n"
    "    {\"n_test\", NN_T_INT, 100, NULL, 0, 1e7, NULL, \"test examples\"},\n"
    "    {\"classes\", NN_T_INT, 3, NULL, 2, 100, NULL, \"number of classes (blobs)\"},\n"
    "    {\"features\", NN_T_INT, 2, NULL, 2, 10000, NULL, \"dimensions; the blobs differ in the first two\"},\n"
    "    {\"spread\", NN_T_REAL, 3.0, NULL, 0, 1e6, NULL, \"distance of the blob centres from the origin\"},\n"
    "};\n"
    "\n"
    "static void blobs(const nn_value *hp, nn_rng *rng, int d, nn_split *s)\n"
    "{\n"
    "    int K = (int)hp[P_CLASSES].i;\n"
    "    for (size_t i = 0; i < s->m; i++) {\n"
    "        int k = (int)(i % (size_t)K);\n"
    "        double angle = 2 * 3.14159265358979323846 * k / K;\n"
    "        nn_real *x = s->X + i * (size_t)d;\n"
    "        for (int f = 0; f < d; f++)\n"
    "            x[f] = nn_rng_randn(rng);\n"
    "        x[0] += hp[P_SPREAD].r * cos(angle);\n"
    "        x[1] += hp[P_SPREAD].r * sin(angle);\n"
    "        s->y[i] = k;\n"
    "    }\n"
    "}\n"
    "\n"
    "static int load(const nn_value *hp, const nn_data_ctx *ctx, nn_data *out, nn_err *err)\n"
    "{\n"
    "    out->d = (int)hp[P_FEATURES].i;\n"
    "    out->n_classes = (int)hp[P_CLASSES].i;\n"
    "    int rc = nn_split_alloc(out, &out->train, (size_t)hp[P_N_TRAIN].i, 0);\n"
    "    if (rc == NN_OK && hp[P_N_TEST].i > 0)\n"
    "        rc = nn_split_alloc(out, &out->test, (size_t)hp[P_N_TEST].i, 0);\n"
    "    if (rc)\n"
    "        return nn_err_set(err, rc, \"out of memory for %ld examples\", hp[P_N_TRAIN].i + hp[P_N_TEST].i);\n"
    "    blobs(hp, ctx->rng, out->d, &out->train);\n"
    "    blobs(hp, ctx->rng, out->d, &out->test);\n"
    "    for (int k = 0; k < out->n_classes; k++) {\n"
    "        char name[32];\n"
    "        snprintf(name, sizeof name, \"blob %d\", k);\n"
    "        nn_data_set_class_name(out, k, name);\n"
    "    }\n"
    "    return NN_OK;\n"
    "}\n"
    "\n"
    "static const nn_data_ops ops = {load};\n"
    "\n"
    "static const nn_plugin desc = {\n"
    "    NN_ABI_VERSION, sizeof(nn_real), NN_KIND_DATA,\n"
    "    \"@NAME@\",                                     /* must equal the file name, @NAME@.so */\n"
    "    \"Gaussian blobs, one per class (edit this description)\",\n"
    "    NN_ARRAY_LEN(params), params, {.data = &ops}};\n"
    "\n"
    "NN_PLUGIN(desc)\n";

static const char usage_text[] = "usage: nnlab new KIND NAME [-o FILE] [--force]\n"
                                 "  KIND: init, optim, reg or data; NAME: [a-z0-9_]+ (the plugin's name)\n"
                                 "  writes NAME.c (or FILE); --force overwrites an existing file\n";

static int write_template(FILE *f, const char *tpl, const char *name)
{
    for (const char *p = tpl; *p;) {
        const char *at = strstr(p, "@NAME@");
        size_t n = at ? (size_t)(at - p) : strlen(p);
        if (fwrite(p, 1, n, f) != n)
            return -1;
        if (!at)
            break;
        fputs(name, f);
        p = at + 6;
    }
    return ferror(f) ? -1 : 0;
}

int nn_cmd_new(int argc, char **argv)
{
    const char *kind_s = NULL, *name = NULL, *out = NULL;
    int force = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
            out = argv[++i];
        else if (strcmp(argv[i], "--force") == 0)
            force = 1;
        else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(usage_text, stdout);
            return 0;
        } else if (argv[i][0] != '-' && !kind_s)
            kind_s = argv[i];
        else if (argv[i][0] != '-' && !name)
            name = argv[i];
        else {
            fprintf(stderr, "nnlab new: unexpected argument '%s'\n%s", argv[i], usage_text);
            return 2;
        }
    }
    nn_kind kind;
    if (!kind_s || !name) {
        fputs(usage_text, stderr);
        return 2;
    }
    if (nn_kind_parse(kind_s, &kind) != 0) {
        fprintf(stderr, "nnlab new: unknown kind '%s' (init, optim, reg, data)\n", kind_s);
        return 2;
    }
    if (!nn_name_valid(name)) {
        fprintf(stderr, "nnlab new: invalid plugin name '%s': names are [a-z0-9_]+, at most 64 characters\n", name);
        return 2;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s", out ? out : name);
    if (!out)
        strncat(path, ".c", sizeof path - strlen(path) - 1);
    struct stat st;
    if (!force && stat(path, &st) == 0) {
        fprintf(stderr, "nnlab new: %s exists (use --force to overwrite)\n", path);
        return 2;
    }
    const char *tpl = kind == NN_KIND_INIT ? tpl_init : kind == NN_KIND_OPTIM ? tpl_optim
                    : kind == NN_KIND_REG ? tpl_reg : tpl_data;
    nn_atomic a;
    nn_err err;
    int rc = nn_atomic_open(&a, path, &err);
    if (rc == NN_OK && write_template(a.f, tpl, name) != 0) {
        nn_atomic_abort(&a);
        rc = nn_err_set(&err, NN_EIO, "%s: write failed", path);
    } else if (rc == NN_OK) {
        rc = nn_atomic_commit(&a, &err);
    }
    if (rc) {
        fprintf(stderr, "nnlab new: %s\n", err.msg);
        return 2;
    }
    printf("wrote %s: a %s plugin named '%s'\n"
           "build: cc -shared -fPIC $(pkg-config --cflags --libs nnlab) %s -o %s.so\n"
           "check: nnlab check ./%s.so\n"
           "use:   put %s.so in a folder on NNLAB_PLUGIN_PATH (or pass --plugin-path DIR)\n",
           path, nn_kind_name(kind), name, path, name, name, name);
    return 0;
}
