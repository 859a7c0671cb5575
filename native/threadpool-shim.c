/*
 * Gives every llama.cpp context a persistent ggml threadpool, as llama-server does (common_threadpools::init),
 * for engines whose binding never attaches one: node-llama-cpp's prebuilt CPU binaries are built without OpenMP,
 * and without an attached threadpool ggml creates and joins its worker threads for every graph it computes, that is
 * for every decoded token (ggml-cpu.c, ggml_graph_compute's "disposable threadpool"). On a small model that start-up
 * is a large part of a decode step.
 *
 * Loaded into the engine worker with LD_PRELOAD, it stands in for the llama.cpp functions the binding calls
 * (llama_decode, llama_encode, llama_set_n_threads, llama_free): before a context's first graph it attaches a
 * threadpool sized for the context's thread counts (a bigger one when they grow), and frees it with the context.
 * The real functions are found in the loaded library that defines them (libllama by name first); a process that
 * calls them without one this shim can reach is told so and stopped. Where ggml offers no threadpool functions the
 * shim only forwards. An upstream fix belongs in node-llama-cpp's AddonContext (README, Threads and engine builds).
 *
 * Declarations are those of llama.h and ggml.h of the llama.cpp release node-llama-cpp pins (package.json keeps it
 * at ~3.22); only pointers, ints and llama_batch (unchanged for years) cross this boundary.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct llama_context;
struct ggml_threadpool;
struct ggml_backend_device;
struct ggml_backend_reg;

typedef struct llama_batch {
    int32_t n_tokens;
    int32_t * token;
    float * embd;
    int32_t * pos;
    int32_t * n_seq_id;
    int32_t ** seq_id;
    int8_t * logits;
} llama_batch;

typedef int32_t (*batch_fn)(struct llama_context *, llama_batch);
typedef void (*free_fn)(struct llama_context *);
typedef void (*set_threads_fn)(struct llama_context *, int32_t, int32_t);
typedef int32_t (*n_threads_fn)(struct llama_context *);
typedef void (*attach_fn)(struct llama_context *, struct ggml_threadpool *, struct ggml_threadpool *);
typedef void (*detach_fn)(struct llama_context *);
typedef struct ggml_backend_device * (*dev_by_type_fn)(int);
typedef struct ggml_backend_reg * (*dev_reg_fn)(struct ggml_backend_device *);
typedef void * (*proc_address_fn)(struct ggml_backend_reg *, const char *);
typedef void (*params_init_fn)(void *, int);
typedef struct ggml_threadpool * (*pool_new_fn)(void *);
typedef void (*pool_free_fn)(struct ggml_threadpool *);

/* GGML_BACKEND_DEVICE_TYPE_CPU in ggml-backend.h. */
enum { cpu_device_type = 0 };
/* sizeof(struct ggml_threadpool_params) is 532 (a 512-entry cpumask and five fields); room to spare. */
enum { threadpool_params_room = 4096 };

static struct {
    batch_fn decode, encode;
    free_fn free_context;
    set_threads_fn set_threads;
    n_threads_fn n_threads, n_threads_batch;
    attach_fn attach;
    detach_fn detach;
    params_init_fn params_init;
    pool_new_fn pool_new;
    pool_free_fn pool_free;
    int pools_available;
} real;

int32_t llama_decode(struct llama_context * context, llama_batch batch);

static pthread_once_t resolve_once = PTHREAD_ONCE_INIT;
static void * llama_library;

/* The loaded objects' paths, gathered first: dlopen is not called while glibc iterates (it holds its loader lock). */
enum { most_objects = 512 };
static char * object_paths[most_objects];
static int object_count;

static int gather_object(struct dl_phdr_info * info, size_t size, void * data) {
    (void) size; (void) data;
    if (info->dlpi_name[0] != '\0' && object_count < most_objects) object_paths[object_count++] = strdup(info->dlpi_name);
    return 0;
}

/* The loaded object that defines llama_decode, other than this shim: libllama by name first, then any other. */
static void * find_llama_library(void) {
    void * found = NULL;
    for (int pass = 0; pass < 2 && found == NULL; pass++) {
        for (int index = 0; index < object_count && found == NULL; index++) {
            const char * path = object_paths[index];
            if (path == NULL) continue;
            const char * slash = strrchr(path, '/');
            const char * name = slash ? slash + 1 : path;
            int named = strncmp(name, "libllama", 8) == 0 && strncmp(name, "libllama-common", 15) != 0;
            if (pass == 0 ? !named : named) continue;
            void * handle = dlopen(path, RTLD_LAZY | RTLD_NOLOAD);
            if (handle == NULL) continue;
            void * symbol = dlsym(handle, "llama_decode");
            if (symbol != NULL && symbol != (void *) llama_decode) found = handle;
            else dlclose(handle);
        }
    }
    for (int index = 0; index < object_count; index++) free(object_paths[index]);
    object_count = 0;
    return found;
}

static void resolve(void) {
    dl_iterate_phdr(gather_object, NULL);
    llama_library = find_llama_library();
    if (llama_library == NULL) {
        /* Someone called llama_decode, so a definition is loaded; one this shim cannot reach is a broken setup. */
        fprintf(stderr, "threadpool shim: no loaded library defines llama_decode; start without it (LMHOST_THREADPOOL_SHIM=0)\n");
        abort();
    }
    /* dlsym on the library's handle searches it and its dependencies (ggml), never this shim. */
    real.decode = (batch_fn) dlsym(llama_library, "llama_decode");
    real.encode = (batch_fn) dlsym(llama_library, "llama_encode");
    real.free_context = (free_fn) dlsym(llama_library, "llama_free");
    real.set_threads = (set_threads_fn) dlsym(llama_library, "llama_set_n_threads");
    real.n_threads = (n_threads_fn) dlsym(llama_library, "llama_n_threads");
    real.n_threads_batch = (n_threads_fn) dlsym(llama_library, "llama_n_threads_batch");
    real.attach = (attach_fn) dlsym(llama_library, "llama_attach_threadpool");
    real.detach = (detach_fn) dlsym(llama_library, "llama_detach_threadpool");
    real.params_init = (params_init_fn) dlsym(llama_library, "ggml_threadpool_params_init");
    dev_by_type_fn dev_by_type = (dev_by_type_fn) dlsym(llama_library, "ggml_backend_dev_by_type");
    dev_reg_fn dev_reg = (dev_reg_fn) dlsym(llama_library, "ggml_backend_dev_backend_reg");
    proc_address_fn proc_address = (proc_address_fn) dlsym(llama_library, "ggml_backend_reg_get_proc_address");
    if (!real.n_threads || !real.n_threads_batch || !real.attach || !real.detach || !real.params_init
        || !dev_by_type || !dev_reg || !proc_address) return;
    /* The CPU backend is its own library, loaded by ggml (the best variant for this CPU): ask its registry. */
    struct ggml_backend_device * cpu = dev_by_type(cpu_device_type);
    if (cpu == NULL) return;
    struct ggml_backend_reg * reg = dev_reg(cpu);
    real.pool_new = (pool_new_fn) proc_address(reg, "ggml_threadpool_new");
    real.pool_free = (pool_free_fn) proc_address(reg, "ggml_threadpool_free");
    real.pools_available = real.pool_new != NULL && real.pool_free != NULL;
    if (getenv("LMHOST_THREADPOOL_SHIM_DEBUG")) fprintf(stderr, "threadpool shim: pools %s\n", real.pools_available ? "on" : "off");
}

/*
 * Contexts with their attached pools; a process holds a few contexts (a model's, a draft's). A pool replaced by a
 * bigger one stays allocated until its context is freed: ggml's CPU backend still holds it and pauses it when the
 * next graph switches to the new one.
 */
struct pool_list { struct ggml_threadpool * pool; struct pool_list * next; };
struct attached { struct llama_context * context; struct pool_list * pools; int threads; struct attached * next; };
static struct attached * attachments;
static pthread_mutex_t attachments_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long pools_created;

static void ensure_pool(struct llama_context * context) {
    if (!real.pools_available) return;
    int wanted = real.n_threads(context);
    int batch = real.n_threads_batch(context);
    if (batch > wanted) wanted = batch;
    if (wanted < 1) wanted = 1;
    pthread_mutex_lock(&attachments_lock);
    struct attached * entry = attachments;
    while (entry != NULL && entry->context != context) entry = entry->next;
    if (entry == NULL) {
        entry = calloc(1, sizeof *entry);
        if (entry != NULL) { entry->context = context; entry->next = attachments; attachments = entry; }
    }
    /* ggml caps a graph's threads at its pool's size, so a pool grows with the context's thread counts. */
    struct pool_list * node = entry != NULL && entry->threads < wanted ? calloc(1, sizeof *node) : NULL;
    if (node != NULL) {
        unsigned char params[threadpool_params_room];
        memset(params, 0, sizeof params);
        real.params_init(params, wanted);
        node->pool = real.pool_new(params);
        if (node->pool != NULL) {
            real.attach(context, node->pool, NULL);
            node->next = entry->pools;
            entry->pools = node;
            entry->threads = wanted;
            pools_created++;
            if (getenv("LMHOST_THREADPOOL_SHIM_DEBUG")) fprintf(stderr, "threadpool shim: %d threads (pool %lu)\n", wanted, pools_created);
        } else {
            free(node);
        }
    }
    pthread_mutex_unlock(&attachments_lock);
}

/* Unlinks a context's entry (before the context is freed: its address may be reused at once). */
static struct attached * detach_entry(struct llama_context * context) {
    struct attached * found = NULL;
    pthread_mutex_lock(&attachments_lock);
    for (struct attached ** link = &attachments; *link != NULL; link = &(*link)->next) {
        if ((*link)->context != context) continue;
        found = *link;
        *link = found->next;
        break;
    }
    pthread_mutex_unlock(&attachments_lock);
    return found;
}

static void free_entry(struct attached * entry) {
    if (entry == NULL) return;
    for (struct pool_list * node = entry->pools; node != NULL;) {
        struct pool_list * next = node->next;
        real.pool_free(node->pool);
        free(node);
        node = next;
    }
    free(entry);
}

int32_t llama_decode(struct llama_context * context, llama_batch batch) {
    pthread_once(&resolve_once, resolve);
    ensure_pool(context);
    return real.decode(context, batch);
}

int32_t llama_encode(struct llama_context * context, llama_batch batch) {
    pthread_once(&resolve_once, resolve);
    ensure_pool(context);
    return real.encode(context, batch);
}

void llama_set_n_threads(struct llama_context * context, int32_t threads, int32_t threads_batch) {
    pthread_once(&resolve_once, resolve);
    /* The pool is resized on the next decode, on the thread that decodes, never under a running graph. */
    real.set_threads(context, threads, threads_batch);
}

void llama_free(struct llama_context * context) {
    pthread_once(&resolve_once, resolve);
    struct attached * entry = real.pools_available ? detach_entry(context) : NULL;
    real.free_context(context);
    free_entry(entry);
}
