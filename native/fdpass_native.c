// Unix socket primitives for jsonrpc-fdpass: sockets, SCM_RIGHTS send/receive, peer credentials and a
// uv_poll readiness watcher on the calling environment's loop. No protocol logic lives here.
//
// Conventions: every fd is created nonblocking and close-on-exec; EINTR is retried (close never is);
// EAGAIN on the hot paths (send, recv, accept) is a return value of -1, every other failure throws a
// SystemError (constructor registered by JS through init()) with code, errno and syscall.
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <node_api.h>
#include <uv.h>

#define MAX_FDS 253  // Linux SCM_MAX_FD
// A send may ask for more than SCM_MAX_FD so the kernel itself answers EINVAL (callers halve and retry;
// a kernel with a higher limit would simply accept). Beyond this the control buffer would not fit.
#define SEND_MAX_FDS 1024
#define EV_CLOSED 0x100  // reported to the poll callback once the fd is closed

// The fds this env's library code owns that no poller tracks: received ones, pipe and dup results. A
// bitmap indexed by fd number (fds are small and dense). Whatever is still set when the env goes away
// (a worker thread terminated while JS held Fd objects: no JS runs then) is closed by a cleanup hook.
typedef struct {
  napi_ref system_error;  // SystemError constructor (may be NULL before init)
  uint64_t* owned;
  size_t owned_words;
} instance_t;

static instance_t* instance(napi_env env) {
  instance_t* inst = NULL;
  napi_get_instance_data(env, (void**)&inst);
  return inst;
}

// Records fd as owned; false (nothing recorded) when memory runs out. The caller still owns fd then.
static bool owned_add(instance_t* inst, int fd) {
  size_t word = (size_t)fd / 64;
  if (word >= inst->owned_words) {
    size_t n = inst->owned_words ? inst->owned_words : 16;
    while (n <= word) n *= 2;
    uint64_t* grown = realloc(inst->owned, n * sizeof(uint64_t));
    if (!grown) return false;
    memset(grown + inst->owned_words, 0, (n - inst->owned_words) * sizeof(uint64_t));
    inst->owned = grown;
    inst->owned_words = n;
  }
  inst->owned[word] |= (uint64_t)1 << (fd % 64);
  return true;
}

static void owned_remove(instance_t* inst, int fd) {
  size_t word = (size_t)fd / 64;
  if (fd >= 0 && word < inst->owned_words) inst->owned[word] &= ~((uint64_t)1 << (fd % 64));
}

static void owned_close_all(void* arg) {
  instance_t* inst = arg;
  for (size_t w = 0; w < inst->owned_words; w++)
    for (uint64_t bits = inst->owned[w]; bits; bits &= bits - 1) close((int)(w * 64 + (size_t)__builtin_ctzll(bits)));
  free(inst->owned);
  inst->owned = NULL;
  inst->owned_words = 0;
}

#define CHECK(call)                                 \
  do {                                              \
    if ((call) != napi_ok) return NULL;             \
  } while (0)

// The errno's name. libuv names only the errnos it maps: sendmsg's ETOOMANYREFS (too many fds in
// flight) would become "Unknown system error -109", which no caller can match on.
static const char* errno_name(int err) {
  const char* name = uv_err_name(-err);
  if (strncmp(name, "Unknown", 7) != 0) return name;
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  const char* glibc_name = strerrorname_np(err);
  if (glibc_name) return glibc_name;
#endif
  if (err == ETOOMANYREFS) return "ETOOMANYREFS";
  return name;
}

static napi_value throw_errno(napi_env env, const char* syscall, int err) {
  instance_t* inst = instance(env);
  napi_value ctor, argv[3], error;
  const char* name = errno_name(err);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &argv[0]);
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &argv[1]);
  napi_create_int32(env, err, &argv[2]);
  if (inst && inst->system_error && napi_get_reference_value(env, inst->system_error, &ctor) == napi_ok &&
      ctor && napi_new_instance(env, ctor, 3, argv, &error) == napi_ok) {
    napi_throw(env, error);
    return NULL;
  }
  // Before init(): a plain Error carrying the same fields.
  napi_value msg;
  napi_create_string_utf8(env, uv_strerror(-err), NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, argv[1], msg, &error);
  napi_set_named_property(env, error, "errno", argv[2]);
  napi_set_named_property(env, error, "syscall", argv[0]);
  napi_throw(env, error);
  return NULL;
}

static napi_value throw_type(napi_env env, const char* msg) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
  return NULL;
}

static napi_value make_int(napi_env env, int64_t v) {
  napi_value r;
  napi_create_int64(env, v, &r);
  return r;
}

static napi_value undefined(napi_env env) {
  napi_value r;
  napi_get_undefined(env, &r);
  return r;
}

static int arg_int(napi_env env, napi_value v, int32_t* out) {
  return napi_get_value_int32(env, v, out) == napi_ok;
}

// Reads a typed array argument of the given element type (a Buffer is a Uint8Array).
static int arg_typed(napi_env env, napi_value v, napi_typedarray_type want, void** data, size_t* len) {
  napi_typedarray_type type;
  return napi_get_typedarray_info(env, v, &type, len, data, NULL, NULL) == napi_ok && type == want;
}

// Fills a sockaddr_un from a JS string; a leading '@' selects the Linux abstract namespace.
static int arg_addr(napi_env env, napi_value v, struct sockaddr_un* sa, socklen_t* salen) {
  char path[sizeof(sa->sun_path) + 2];
  size_t len;
  if (napi_get_value_string_utf8(env, v, path, sizeof(path), &len) != napi_ok) return -EINVAL;
  if (len == 0) return -EINVAL;
  memset(sa, 0, sizeof(*sa));
  sa->sun_family = AF_UNIX;
  if (path[0] == '@') {
    if (len > sizeof(sa->sun_path)) return -ENAMETOOLONG;
    memcpy(sa->sun_path + 1, path + 1, len - 1);  // sun_path[0] stays NUL
    *salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
  } else {
    if (len >= sizeof(sa->sun_path)) return -ENAMETOOLONG;
    memcpy(sa->sun_path, path, len);
    *salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
  }
  return 0;
}

// Reads send's and recv's leading (fd, bytes, offset, length) arguments into fd and iov; false (with an
// exception pending) when one has the wrong type or the range does not lie inside bytes.
static bool arg_io(napi_env env, const napi_value* argv, int32_t* fd, struct iovec* iov) {
  int32_t off, len;
  uint8_t* data;
  size_t size;
  if (!arg_int(env, argv[0], fd) || !arg_typed(env, argv[1], napi_uint8_array, (void**)&data, &size) ||
      !arg_int(env, argv[2], &off) || !arg_int(env, argv[3], &len)) {
    throw_type(env, "bad arguments");
    return false;
  }
  if (off < 0 || len < 0 || (size_t)off + (size_t)len > size) {
    throw_type(env, "range out of bounds");
    return false;
  }
  iov->iov_base = data + off;
  iov->iov_len = (size_t)len;
  return true;
}

// The failure of a hot-path call (send, recv, accept), errno set: -1 for EAGAIN, else a thrown SystemError.
static napi_value eagain_or_throw(napi_env env, const char* syscall) {
  if (errno == EAGAIN || errno == EWOULDBLOCK) return make_int(env, -1);
  return throw_errno(env, syscall, errno);
}

#define ARGS(n)                                                       \
  size_t argc = n;                                                    \
  napi_value argv[n];                                                 \
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));        \
  if (argc < n) return throw_type(env, "missing arguments")

static napi_value js_init(napi_env env, napi_callback_info info) {
  ARGS(1);
  instance_t* inst = instance(env);
  if (!inst) return throw_type(env, "addon instance missing");
  if (inst->system_error) napi_delete_reference(env, inst->system_error);
  CHECK(napi_create_reference(env, argv[0], 1, &inst->system_error));
  return undefined(env);
}

static napi_value js_socket(napi_env env, napi_callback_info info) {
  (void)info;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  return make_int(env, fd);
}

// Returns [a, b] to JS, closing both fds if the array cannot be built.
static napi_value make_fd_pair(napi_env env, const int sv[2]) {
  napi_value arr;
  if (napi_create_array_with_length(env, 2, &arr) != napi_ok ||
      napi_set_element(env, arr, 0, make_int(env, sv[0])) != napi_ok ||
      napi_set_element(env, arr, 1, make_int(env, sv[1])) != napi_ok) {
    close(sv[0]);
    close(sv[1]);
    return NULL;
  }
  return arr;
}

static napi_value js_socketpair(napi_env env, napi_callback_info info) {
  (void)info;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
    return throw_errno(env, "socketpair", errno);
  return make_fd_pair(env, sv);
}

// pipe() -> [readEnd, writeEnd], both close-on-exec and blocking: pipes are handed to other code
// (fd passing), which expects ordinary blocking semantics.
static napi_value js_pipe(napi_env env, napi_callback_info info) {
  (void)info;
  int p[2];
  instance_t* inst = instance(env);
  if (pipe2(p, O_CLOEXEC) < 0) return throw_errno(env, "pipe2", errno);
  if (!owned_add(inst, p[0]) || !owned_add(inst, p[1])) {
    owned_remove(inst, p[0]);
    close(p[0]);
    close(p[1]);
    return throw_errno(env, "pipe2", ENOMEM);
  }
  napi_value r = make_fd_pair(env, p);
  if (!r) owned_remove(inst, p[0]), owned_remove(inst, p[1]);
  return r;
}

// connect(fd, path): throws on failure, EAGAIN included (backlog full; the caller retries later).
static napi_value js_connect(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t fd;
  struct sockaddr_un sa;
  socklen_t salen;
  int r;
  if (!arg_int(env, argv[0], &fd)) return throw_type(env, "fd must be a number");
  if ((r = arg_addr(env, argv[1], &sa, &salen)) < 0) return throw_errno(env, "connect", -r);
  do r = connect(fd, (struct sockaddr*)&sa, salen);
  while (r < 0 && errno == EINTR);
  if (r < 0) return throw_errno(env, "connect", errno);
  return undefined(env);
}

static napi_value js_bind(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t fd;
  struct sockaddr_un sa;
  socklen_t salen;
  int r;
  if (!arg_int(env, argv[0], &fd)) return throw_type(env, "fd must be a number");
  if ((r = arg_addr(env, argv[1], &sa, &salen)) < 0) return throw_errno(env, "bind", -r);
  if (bind(fd, (struct sockaddr*)&sa, salen) < 0) return throw_errno(env, "bind", errno);
  return undefined(env);
}

static napi_value js_listen(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t fd, backlog;
  if (!arg_int(env, argv[0], &fd) || !arg_int(env, argv[1], &backlog)) return throw_type(env, "bad arguments");
  if (listen(fd, backlog) < 0) return throw_errno(env, "listen", errno);
  return undefined(env);
}

// accept(fd) -> new fd, or -1 when no connection is pending.
static napi_value js_accept(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t fd;
  int r;
  if (!arg_int(env, argv[0], &fd)) return throw_type(env, "fd must be a number");
  // ECONNABORTED: a queued connection went away before we took it; the next one may be fine.
  do r = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  while (r < 0 && (errno == EINTR || errno == ECONNABORTED));
  if (r < 0) return eagain_or_throw(env, "accept4");
  return make_int(env, r);
}

// send(fd, bytes, offset, length, fds: Int32Array | null, fdStart, fdCount) -> bytes sent, or -1 on EAGAIN.
// The fds (if any) ride the first byte; nothing is sent when the call fails.
static napi_value js_send(napi_env env, napi_callback_info info) {
  ARGS(7);
  int32_t fd, fd_start, fd_count;
  size_t nfds_total = 0;
  int32_t* fds = NULL;
  napi_valuetype t;
  struct iovec iov;
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int) * SEND_MAX_FDS)];
  } control;
  if (!arg_int(env, argv[5], &fd_start) || !arg_int(env, argv[6], &fd_count)) return throw_type(env, "bad arguments");
  if (!arg_io(env, argv, &fd, &iov)) return NULL;
  CHECK(napi_typeof(env, argv[4], &t));
  if (fd_count > 0) {
    if (t == napi_null || t == napi_undefined || !arg_typed(env, argv[4], napi_int32_array, (void**)&fds, &nfds_total))
      return throw_type(env, "fds must be an Int32Array");
    if (fd_start < 0 || (size_t)fd_start + (size_t)fd_count > nfds_total)
      return throw_type(env, "fd range out of bounds");
    if (fd_count > SEND_MAX_FDS) return throw_errno(env, "sendmsg", EINVAL);
  }
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
  if (fd_count > 0) {
    memset(&control, 0, CMSG_SPACE(sizeof(int) * (size_t)fd_count));
    msg.msg_control = control.buf;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)fd_count);
    struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)fd_count);
    memcpy(CMSG_DATA(c), fds + fd_start, sizeof(int) * (size_t)fd_count);
  }
  ssize_t n;
  do n = sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0) return eagain_or_throw(env, "sendmsg");
  return make_int(env, n);
}

// recv(fd, buf, offset, length, peek, out: Int32Array(2 + 253)) -> bytes read (0 = EOF), or -1 on EAGAIN.
// out[0] = number of fds received (stored from out[2]), out[1] = 1 when the kernel set MSG_CTRUNC (fds
// were lost; the ones that did arrive are still reported so the caller closes them). A peek passes no
// control buffer, so the kernel installs no fds for it.
static napi_value js_recv(napi_env env, napi_callback_info info) {
  ARGS(6);
  int32_t fd;
  bool peek;
  size_t out_len;
  int32_t* out;
  struct iovec iov;
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
  } control;
  if (napi_get_value_bool(env, argv[4], &peek) != napi_ok ||
      !arg_typed(env, argv[5], napi_int32_array, (void**)&out, &out_len) || out_len < 2 + MAX_FDS)
    return throw_type(env, "bad arguments");
  if (!arg_io(env, argv, &fd, &iov)) return NULL;
  out[0] = 0;
  out[1] = 0;
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
  if (!peek) {
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof(control.buf);
  }
  ssize_t n;
  do n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | (peek ? MSG_PEEK : 0));
  while (n < 0 && errno == EINTR);
  if (n < 0) return eagain_or_throw(env, "recvmsg");
  if (!peek) {
    instance_t* inst = instance(env);
    int32_t count = 0;
    for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      int* p = (int*)CMSG_DATA(c);
      for (size_t i = 0; i < k; i++) {
        int rfd;
        memcpy(&rfd, p + i, sizeof(int));
        if (count < MAX_FDS && owned_add(inst, rfd)) {
          out[2 + count++] = rfd;
        } else {
          close(rfd);  // no room (cannot happen with a MAX_FDS buffer) or no memory: never leak, report loss
          out[1] = 1;
        }
      }
    }
    out[0] = count;
    if (msg.msg_flags & MSG_CTRUNC) out[1] = 1;
  }
  return make_int(env, n);
}

static napi_value js_peer_cred(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t fd;
  struct ucred cred;
  socklen_t len = sizeof(cred);
  napi_value obj;
  if (!arg_int(env, argv[0], &fd)) return throw_type(env, "fd must be a number");
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) return throw_errno(env, "getsockopt", errno);
  CHECK(napi_create_object(env, &obj));
  CHECK(napi_set_named_property(env, obj, "pid", make_int(env, cred.pid)));
  CHECK(napi_set_named_property(env, obj, "uid", make_int(env, cred.uid)));
  CHECK(napi_set_named_property(env, obj, "gid", make_int(env, cred.gid)));
  return obj;
}

static napi_value js_is_listening(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t fd;
  int val = 0;
  socklen_t len = sizeof(val);
  napi_value r;
  if (!arg_int(env, argv[0], &fd)) return throw_type(env, "fd must be a number");
  if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &val, &len) < 0) return throw_errno(env, "getsockopt", errno);
  napi_get_boolean(env, val != 0, &r);
  return r;
}

// socketError(fd) -> pending errno (SO_ERROR, cleared by reading it), 0 when none.
static napi_value js_socket_error(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t fd;
  int val = 0;
  socklen_t len = sizeof(val);
  if (!arg_int(env, argv[0], &fd)) return throw_type(env, "fd must be a number");
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &val, &len) < 0) return throw_errno(env, "getsockopt", errno);
  return make_int(env, val);
}

static napi_value js_shutdown_write(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t fd;
  if (!arg_int(env, argv[0], &fd)) return throw_type(env, "fd must be a number");
  if (shutdown(fd, SHUT_WR) < 0) return throw_errno(env, "shutdown", errno);
  return undefined(env);
}

// close(fd): also forgets fd as owned. Fd.close() uses it: one N-API call, cheaper than fs.closeSync.
static napi_value js_close(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t fd;
  if (!arg_int(env, argv[0], &fd)) return throw_type(env, "fd must be a number");
  owned_remove(instance(env), fd);
  // Never retried: Linux releases the fd even when close reports EINTR.
  if (close(fd) < 0 && errno == EBADF) return throw_errno(env, "close", errno);
  return undefined(env);
}

// release(fd): ownership leaves the library (Fd.take()); the fd stays open and is no longer closed at
// env teardown.
static napi_value js_release(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t fd;
  if (!arg_int(env, argv[0], &fd)) return throw_type(env, "fd must be a number");
  owned_remove(instance(env), fd);
  return undefined(env);
}

// dup(fd) -> a new owned fd (close-on-exec).
static napi_value js_dup(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t fd;
  if (!arg_int(env, argv[0], &fd)) return throw_type(env, "fd must be a number");
  int r = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (r < 0) return throw_errno(env, "fcntl", errno);
  if (!owned_add(instance(env), r)) {
    close(r);
    return throw_errno(env, "fcntl", ENOMEM);
  }
  return make_int(env, r);
}

// ---- readiness watcher ----
//
// One uv_poll_t per fd, owned by a poller. The poller owns the fd from creation on and closes it only
// after uv_close completed. The struct is freed when both the handle is closed and the JS external that
// points at it was finalized. An async cleanup hook closes the handle when the environment (e.g. a
// worker thread) goes away with the poller still open.
typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref callback;
  napi_async_context async_ctx;
  napi_async_cleanup_hook_handle cleanup;
  int fd;
  int events;
  bool owns_fd, closing, handle_closed, finalized, teardown;
} poller_t;

static void poller_maybe_free(poller_t* p) {
  if (p->handle_closed && p->finalized) free(p);
}

static void call_js(poller_t* p, int value) {
  napi_env env = p->env;
  napi_handle_scope scope;
  napi_value cb, recv, arg, result;
  if (!p->callback || napi_open_handle_scope(env, &scope) != napi_ok) return;
  if (napi_get_reference_value(env, p->callback, &cb) == napi_ok && cb && napi_get_global(env, &recv) == napi_ok &&
      napi_create_int32(env, value, &arg) == napi_ok) {
    if (napi_make_callback(env, p->async_ctx, recv, cb, 1, &arg, &result) == napi_pending_exception) {
      napi_value exc;
      if (napi_get_and_clear_last_exception(env, &exc) == napi_ok) napi_fatal_exception(env, exc);
    }
  }
  napi_close_handle_scope(env, scope);
}

static void on_poll(uv_poll_t* handle, int status, int events) {
  poller_t* p = handle->data;
  if (p->closing) return;
  if (status < 0) p->events = 0;  // libuv stopped the watcher (EPOLLERR is reported as EBADF)
  call_js(p, status < 0 ? status : events);
}

static void on_handle_closed(uv_handle_t* handle) {
  poller_t* p = handle->data;
  if (p->owns_fd) close(p->fd);
  p->fd = -1;
  p->handle_closed = true;
  if (p->cleanup) {
    napi_remove_async_cleanup_hook(p->cleanup);
    p->cleanup = NULL;
  }
  if (!p->teardown && !p->finalized) {
    call_js(p, EV_CLOSED);
    napi_delete_reference(p->env, p->callback);
    p->callback = NULL;
    napi_async_destroy(p->env, p->async_ctx);
    p->async_ctx = NULL;
  }
  poller_maybe_free(p);
}

static void poller_start_close(poller_t* p) {
  if (p->closing) return;
  p->closing = true;
  uv_close((uv_handle_t*)&p->poll, on_handle_closed);
}

static void on_env_cleanup(napi_async_cleanup_hook_handle handle, void* arg) {
  (void)handle;
  poller_t* p = arg;
  p->teardown = true;
  poller_start_close(p);  // if already closing, on_handle_closed removes the hook
}

static void on_finalize(napi_env env, void* data, void* hint) {
  (void)env;
  (void)hint;
  poller_t* p = data;
  p->finalized = true;
  // Only reachable once JS dropped the poller; normally it was closed before.
  if (!p->closing) {
    p->teardown = true;
    poller_start_close(p);
    return;
  }
  poller_maybe_free(p);
}

static poller_t* arg_poller(napi_env env, napi_value v) {
  void* p = NULL;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external || napi_get_value_external(env, v, &p) != napi_ok)
    return NULL;
  return p;
}

// pollCreate(fd, callback(events)) -> poller. Takes ownership of fd only on success. The callback gets
// a bitmask (1 readable, 2 writable, 4 disconnect), a negative errno, or 0x100 once the fd is closed.
static napi_value js_poll_create(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t fd;
  uv_loop_t* loop;
  napi_value name, ext;
  int r;
  if (!arg_int(env, argv[0], &fd)) return throw_type(env, "fd must be a number");
  CHECK(napi_get_uv_event_loop(env, &loop));
  poller_t* p = calloc(1, sizeof(*p));
  if (!p) return throw_errno(env, "malloc", ENOMEM);
  p->env = env;
  p->fd = fd;
  if ((r = uv_poll_init(loop, &p->poll, fd)) < 0) {
    free(p);
    return throw_errno(env, "uv_poll_init", -r);
  }
  p->poll.data = p;
  // From here on failures go through uv_close without closing the fd: JS still owns it.
  if (napi_create_reference(env, argv[1], 1, &p->callback) != napi_ok ||
      napi_create_string_utf8(env, "FdPassSocket", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_async_init(env, NULL, name, &p->async_ctx) != napi_ok ||
      napi_add_async_cleanup_hook(env, on_env_cleanup, p, &p->cleanup) != napi_ok ||
      napi_create_external(env, p, on_finalize, NULL, &ext) != napi_ok) {
    p->teardown = true;
    p->finalized = true;
    if (p->callback) napi_delete_reference(env, p->callback), p->callback = NULL;
    if (p->async_ctx) napi_async_destroy(env, p->async_ctx), p->async_ctx = NULL;
    poller_start_close(p);
    // Returning without an exception would hand JS `undefined` as if it were a poller owning the fd.
    bool pending = false;
    if (napi_is_exception_pending(env, &pending) == napi_ok && pending) return NULL;
    return throw_errno(env, "pollCreate", ENOMEM);
  }
  p->owns_fd = true;
  return ext;
}

// pollSet(poller, events): 0 stops watching.
static napi_value js_poll_set(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t events;
  int r;
  poller_t* p = arg_poller(env, argv[0]);
  if (!p || !arg_int(env, argv[1], &events)) return throw_type(env, "bad arguments");
  if (p->closing || events == p->events) return undefined(env);
  r = events ? uv_poll_start(&p->poll, events, on_poll) : uv_poll_stop(&p->poll);
  if (r < 0) return throw_errno(env, "uv_poll_start", -r);
  p->events = events;
  return undefined(env);
}

static napi_value js_poll_ref(napi_env env, napi_callback_info info) {
  ARGS(2);
  bool ref;
  poller_t* p = arg_poller(env, argv[0]);
  if (!p || napi_get_value_bool(env, argv[1], &ref) != napi_ok) return throw_type(env, "bad arguments");
  if (!p->closing) (ref ? uv_ref : uv_unref)((uv_handle_t*)&p->poll);
  return undefined(env);
}

// pollClose(poller): stops watching; the fd is closed once libuv released the handle, then the callback
// gets 0x100. Idempotent.
static napi_value js_poll_close(napi_env env, napi_callback_info info) {
  ARGS(1);
  poller_t* p = arg_poller(env, argv[0]);
  if (!p) return throw_type(env, "not a poller");
  poller_start_close(p);
  return undefined(env);
}

static void instance_free(napi_env env, void* data, void* hint) {
  (void)hint;
  instance_t* inst = data;
  // Normally the cleanup hook already ran (hooks registered after the env's own run first).
  napi_remove_env_cleanup_hook(env, owned_close_all, inst);
  owned_close_all(inst);
  free(inst);  // the constructor reference dies with the environment
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  static const struct {
    const char* name;
    napi_callback fn;
  } fns[] = {
      {"init", js_init},           {"socket", js_socket},       {"socketpair", js_socketpair}, {"pipe", js_pipe},
      {"connect", js_connect},     {"bind", js_bind},           {"listen", js_listen},
      {"accept", js_accept},       {"send", js_send},           {"recv", js_recv},
      {"peerCred", js_peer_cred},  {"isListening", js_is_listening}, {"socketError", js_socket_error}, {"shutdownWrite", js_shutdown_write},
      {"close", js_close},         {"release", js_release},     {"dup", js_dup},             {"pollCreate", js_poll_create},
      {"pollSet", js_poll_set},    {"pollRef", js_poll_ref},    {"pollClose", js_poll_close},
  };
  instance_t* inst = calloc(1, sizeof(*inst));
  if (!inst || napi_set_instance_data(env, inst, instance_free, NULL) != napi_ok) {
    free(inst);
    return NULL;
  }
  // Closes the owned fds left when the env goes away (worker terminated: no JS runs any more).
  if (napi_add_env_cleanup_hook(env, owned_close_all, inst) != napi_ok) return NULL;
  for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
    napi_value f;
    if (napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &f) != napi_ok ||
        napi_set_named_property(env, exports, fns[i].name, f) != napi_ok)
      return NULL;
  }
  napi_value v;
  napi_create_int32(env, MAX_FDS, &v);
  napi_set_named_property(env, exports, "MAX_FDS", v);
  return exports;
}
