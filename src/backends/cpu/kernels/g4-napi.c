/*
 * The Node-API face of the native kernels (plain C against node_api.h; no node-gyp, no C++).
 *   setArgs(Float64Array)  the argument block every later call(op) reads and writes
 *   call(op)               g4_call(op, args)
 *   address(view)          the address of an ArrayBuffer's or typed array's first byte (V8 never moves
 *                          array buffer contents, so the address stays valid while the buffer lives)
 *   variant(i)             [name, runsHere] of kernel variant i, or undefined
 *   adviseHugePages(view)  asks for transparent huge pages on the whole 2 MiB pages inside a Uint8Array that
 *                          nothing has touched yet (Linux MADV_HUGEPAGE: the first write then faults in
 *                          2 MiB pages); returns the bytes advised, 0 where the system has no such call, or −errno
 */
#define NAPI_VERSION 8
#include <node_api.h>

#include <stdint.h>
#include <stddef.h>
#ifdef __linux__
#include <errno.h>
#include <sys/mman.h>
#endif

void g4_call(int op, double *a);
const char *g4_variant(int i, int *ok);

static double *g_args = 0;
static napi_ref g_args_ref = 0;

static napi_value set_args(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  napi_typedarray_type type;
  size_t length;
  void *data;
  napi_value ab;
  size_t offset;
  if (argc < 1 || napi_get_typedarray_info(env, argv[0], &type, &length, &data, &ab, &offset) != napi_ok || type != napi_float64_array || length < 32) {
    napi_throw_type_error(env, NULL, "setArgs expects a Float64Array of at least 32 values");
    return NULL;
  }
  if (g_args_ref) napi_delete_reference(env, g_args_ref);
  napi_create_reference(env, argv[0], 1, &g_args_ref);
  g_args = (double *)data;
  return NULL;
}

static napi_value call(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t op = -1;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &op) != napi_ok || !g_args) {
    napi_throw_type_error(env, NULL, "call expects an op number after setArgs");
    return NULL;
  }
  g4_call(op, g_args);
  return NULL;
}

static napi_value address(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  void *data = NULL;
  bool is;
  if (argc >= 1 && napi_is_typedarray(env, argv[0], &is) == napi_ok && is) {
    napi_typedarray_type type;
    size_t length, offset;
    napi_value ab;
    napi_get_typedarray_info(env, argv[0], &type, &length, &data, &ab, &offset);
  } else if (argc >= 1 && napi_is_arraybuffer(env, argv[0], &is) == napi_ok && is) {
    size_t length;
    napi_get_arraybuffer_info(env, argv[0], &data, &length);
  } else {
    napi_throw_type_error(env, NULL, "address expects an ArrayBuffer or a typed array");
    return NULL;
  }
  napi_value out;
  napi_create_double(env, (double)(uintptr_t)data, &out);
  return out;
}

/* Why: a model's weights are gigabytes of memory touched once at load and streamed once per decoded token.
 * On 4 KiB pages the load takes a page fault per 4 KiB (expensive under a hypervisor: loading a 9 GB
 * Gemma-4-E2B F16 file took 43-52 s here, 8.5 s on 2 MiB pages), and decode walks page tables that no
 * longer fit in cache (8 bytes per 4 KiB: 18 MB for 9 GB; one-thread F16 matrix-vector over 4.3 GB of
 * weights 20.6 -> 22.5 GB/s on 2 MiB pages). Array buffers are ordinary anonymous memory, which with THP in
 * "madvise" mode (a common default) never gets huge pages unless asked, and asking afterwards would need
 * MADV_COLLAPSE, a copy at ~0.5 GB/s here; asked before the file's bytes are read in, it costs nothing.
 * Only the whole aligned pages inside the view are advised. */
static napi_value advise_huge_pages(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  bool is = false;
  void *data = NULL;
  size_t length = 0;
  if (argc >= 1 && napi_is_typedarray(env, argv[0], &is) == napi_ok && is) {
    napi_typedarray_type type;
    size_t elements, offset;
    napi_value ab;
    napi_get_typedarray_info(env, argv[0], &type, &elements, &data, &ab, &offset);
    if (type != napi_uint8_array) is = false;
    length = elements;
  }
  if (!is) {
    napi_throw_type_error(env, NULL, "adviseHugePages expects a Uint8Array");
    return NULL;
  }
  double result = 0;
#ifdef __linux__
  const uintptr_t huge = (uintptr_t)2 << 20;
  uintptr_t start = ((uintptr_t)data + huge - 1) & ~(huge - 1);
  uintptr_t end = ((uintptr_t)data + length) & ~(huge - 1);
  if (end > start) {
    result = madvise((void *)start, end - start, MADV_HUGEPAGE) == 0 ? (double)(end - start) : -(double)errno;
  }
#endif
  napi_value out;
  napi_create_double(env, result, &out);
  return out;
}

static napi_value variant(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t i = -1;
  if (argc >= 1) napi_get_value_int32(env, argv[0], &i);
  int ok = 0;
  const char *name = g4_variant(i, &ok);
  napi_value out;
  if (!name) {
    napi_get_undefined(env, &out);
    return out;
  }
  napi_value n, b;
  napi_create_array_with_length(env, 2, &out);
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &n);
  napi_get_boolean(env, ok != 0, &b);
  napi_set_element(env, out, 0, n);
  napi_set_element(env, out, 1, b);
  return out;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
    { "setArgs", NULL, set_args, NULL, NULL, NULL, napi_default, NULL },
    { "call", NULL, call, NULL, NULL, NULL, napi_default, NULL },
    { "address", NULL, address, NULL, NULL, NULL, napi_default, NULL },
    { "variant", NULL, variant, NULL, NULL, NULL, napi_default, NULL },
    { "adviseHugePages", NULL, advise_huge_pages, NULL, NULL, NULL, napi_default, NULL },
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}
