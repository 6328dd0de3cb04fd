/*
 * The kernel floor for the benchmarks: sendmsg/recvmsg ping-pong over a socketpair between a parent and
 * a forked child, with no JSON work at all.
 *
 *   pingpong SPLIT rt0 ITER ROUNDS BYTES   request of BYTES bytes, no fd; reply of the same size
 *   pingpong SPLIT rt1 ITER ROUNDS BYTES   the same, with one fd attached to each request (receiver closes it)
 *   pingpong SPLIT fds COUNT ITER ROUNDS   one 66-byte request carrying COUNT fds, sent as jsonrpc-fdpass
 *                                           does: 253 per sendmsg, continuation batches of one space byte
 *
 * SPLIT is `inline` (one thread plays both ends: syscalls only, no wake-ups), `pinned` (a forked child
 * echoes, both pinned to one CPU: syscalls plus a context switch per hop, stable) or `fork` (unpinned:
 * adds cross-CPU wake-ups, which on a small VM dominate and are bimodal).
 *
 * Prints one line per round: microseconds per round trip (or per COUNT-fd message and its reply).
 * Every syscall result is checked; on failure it prints the reason to stderr and exits 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_BATCH 253
#define BUF_SIZE 65536

static void die(const char *what) {
  perror(what);
  exit(1);
}

static double now_us(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) die("clock_gettime");
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* One sendmsg of len bytes with nfds fds attached; loops on partial writes without resending fds. */
static void send_all(int sock, const char *buf, size_t len, const int *fds, int nfds) {
  char control[CMSG_SPACE(sizeof(int) * MAX_BATCH)];
  size_t off = 0;
  while (off < len) {
    struct iovec iov = {.iov_base = (void *)(buf + off), .iov_len = len - off};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    if (nfds > 0) {
      memset(control, 0, sizeof(control));
      msg.msg_control = control;
      msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
      struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
      memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
    }
    ssize_t n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("sendmsg");
    }
    off += (size_t)n;
    nfds = 0; /* fds rode the first byte: never resend them */
  }
}

/* One recvmsg; closes every received fd and returns how many bytes and (via *got_fds) fds arrived. */
static size_t recv_some(int sock, char *buf, size_t cap, int *got_fds) {
  char control[CMSG_SPACE(sizeof(int) * MAX_BATCH)];
  struct iovec iov = {.iov_base = buf, .iov_len = cap};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
                       .msg_controllen = sizeof(control)};
  ssize_t n;
  do {
    n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) die("recvmsg");
  if (n == 0) exit(0); /* peer closed: the child's normal way out */
  if (msg.msg_flags & MSG_CTRUNC) {
    fprintf(stderr, "MSG_CTRUNC: fds lost\n");
    exit(1);
  }
  int count = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
    int *fds = (int *)CMSG_DATA(c);
    for (int i = 0; i < k; i++) close(fds[i]);
    count += k;
  }
  *got_fds += count;
  return (size_t)n;
}

/* Reads until `want` bytes and `want_fds` fds arrived (one request or one reply). */
static void recv_exact(int sock, char *buf, size_t want, int want_fds) {
  size_t got = 0;
  int fds = 0;
  while (got < want || fds < want_fds) got += recv_some(sock, buf, BUF_SIZE, &fds);
  if (got != want || fds != want_fds) {
    fprintf(stderr, "framing mismatch: %zu/%zu bytes, %d/%d fds\n", got, want, fds, want_fds);
    exit(1);
  }
}

/* Sends `count` fds the way jsonrpc-fdpass does: the first batch rides the message, the rest ride spaces. */
static void send_with_fds(int sock, const char *buf, size_t len, const int *fds, int count) {
  int first = count < MAX_BATCH ? count : MAX_BATCH;
  send_all(sock, buf, len, fds, first);
  for (int off = first; off < count; off += MAX_BATCH) {
    int k = count - off < MAX_BATCH ? count - off : MAX_BATCH;
    send_all(sock, " ", 1, fds + off, k);
  }
}

int main(int argc, char **argv) {
  int pin = argc == 6 && strcmp(argv[1], "pinned") == 0;
  if (argc != 6 || (strcmp(argv[1], "inline") != 0 && strcmp(argv[1], "fork") != 0 && !pin)) {
    fprintf(stderr, "usage: %s inline|pinned|fork rt0|rt1 ITER ROUNDS BYTES | ... fds COUNT ITER ROUNDS\n",
            argv[0]);
    return 2;
  }
  int use_fork = strcmp(argv[1], "inline") != 0;
  if (pin) {
    /* Pin before fork so the child inherits the same single CPU. */
    int cpu = sched_getcpu();
    if (cpu < 0) die("sched_getcpu");
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set) != 0) die("sched_setaffinity");
  }
  argv++;
  const char *mode = argv[1];
  int many = strcmp(mode, "fds") == 0;
  int fd_count = many ? atoi(argv[2]) : (strcmp(mode, "rt1") == 0 ? 1 : 0);
  long iter = atol(argv[many ? 3 : 2]);
  long rounds = atol(argv[many ? 4 : 3]);
  size_t bytes = many ? 66 : (size_t)atol(argv[4]);
  if (iter <= 0 || rounds <= 0 || bytes == 0 || bytes > BUF_SIZE || fd_count < 0) {
    fprintf(stderr, "bad arguments\n");
    return 2;
  }

  /* The parent holds fd_count fds, the child may hold as many received ones at once. */
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) die("getrlimit");
  rl.rlim_cur = rl.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &rl) != 0) die("setrlimit");

  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) die("socketpair");

  char *buf = malloc(BUF_SIZE);
  if (!buf) die("malloc");
  memset(buf, 'x', bytes);

  /* Bytes of one request on the wire: the message plus one space per continuation fd batch. */
  size_t req_bytes = bytes + (fd_count > MAX_BATCH ? (size_t)((fd_count - 1) / MAX_BATCH) : 0);

  pid_t pid = use_fork ? fork() : 0;
  if (pid < 0) die("fork");
  if (use_fork && pid == 0) {
    /* Child: echo each request's bytes back without fds. */
    if (close(sv[0]) != 0) die("close");
    for (;;) {
      recv_exact(sv[1], buf, req_bytes, fd_count);
      send_all(sv[1], buf, bytes, NULL, 0);
    }
  }
  if (use_fork && close(sv[1]) != 0) die("close");

  int *fds = NULL;
  if (fd_count > 0) {
    fds = malloc(sizeof(int) * (size_t)fd_count);
    if (!fds) die("malloc");
    int base = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (base < 0) die("open");
    fds[0] = base;
    for (int i = 1; i < fd_count; i++) {
      fds[i] = fcntl(base, F_DUPFD_CLOEXEC, 0);
      if (fds[i] < 0) die("fcntl");
    }
  }

  /* One unmeasured warm-up round, then the measured ones. */
  for (long r = -1; r < rounds; r++) {
    double t0 = now_us();
    for (long i = 0; i < iter; i++) {
      send_with_fds(sv[0], buf, bytes, fds, fd_count);
      if (!use_fork) {
        recv_exact(sv[1], buf, req_bytes, fd_count);
        send_all(sv[1], buf, bytes, NULL, 0);
      }
      recv_exact(sv[0], buf, bytes, 0);
    }
    double dt = now_us() - t0;
    if (r >= 0) printf("%.3f\n", dt / (double)iter);
  }
  fflush(stdout);

  if (close(sv[0]) != 0) die("close");
  if (!use_fork) return close(sv[1]) == 0 ? 0 : 1;
  int status;
  if (waitpid(pid, &status, 0) < 0) die("waitpid");
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
