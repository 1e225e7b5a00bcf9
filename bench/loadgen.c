/*
 * loadgen.c — the benchmark's load generator: one single-threaded epoll process, loopback (127.0.0.1) only.
 *
 * Modes (see usage()):
 *   echo     N connections, each sending S bytes and waiting for the same S bytes back (checked), repeated.
 *            Connections are opened at most --max-pending at a time (a connection is "pending" until its first
 *            round trip has come back, so a listen backlog of 128 is never overrun). Phases: ramp (connect all),
 *            optional idle phase (every connection has done exactly one round trip and then holds still: the
 *            server's RSS is read at its end), warm-up, measurement (D seconds), done.
 *   oneshot  C concurrent one-request connections: connect, send a request file's bytes, read until EOF,
 *            compare byte for byte with the expected response file; the request/response pairs are cycled.
 *            Warm-up, then D seconds of measurement. With --keep-alive 1, each connection stays open and sends
 *            its next request once the reply's expected length is in (the server must not close).
 *   idle     N connections opened (no data), held for D seconds, then closed. Prints READY once all are open.
 *
 * Output: at most one `READY key=value ...` line, then one `RESULT key=value ...` line on stdout, flushed.
 * With --watch-pid PID it also reports that process's CPU use over the measurement window (from
 * /proc/PID/stat) and its RSS (VmRSS from /proc/PID/status) before the ramp, at the end of the idle phase and at
 * the end of the window. The exit status is 0 when every reply matched and nothing failed, 1 when a reply
 * mismatched or a connection failed, 2 for bad usage, 3 when the ramp timed out, 4 for a system limit.
 *
 * Every run is bounded: an alarm() ends the process at ramp-timeout + idle + warm-up + duration + 10 s whatever
 * happens.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_PAIRS 16
#define RBUF_SIZE (256 * 1024)
#define MAX_EVENTS 1024

enum mode { M_ECHO, M_ONESHOT, M_IDLE };
enum phase { P_RAMP, P_IDLE, P_WARMUP, P_MEASURE, P_DRAIN };

/* After the window, in-flight exchanges may finish (so servers see clean closes) for at most this long. */
#define DRAIN_SECONDS 2.0

static struct {
  enum mode mode;
  int port;
  int conns;
  long size;
  double duration;
  double warmup;
  double idle_phase;
  double ramp_timeout;
  int max_pending;
  int watch_pid;
  int concurrency;
  int keepalive;
  const char *req_path[MAX_PAIRS];
  const char *res_path[MAX_PAIRS];
  int npairs;
} opt = {
    .mode = M_ECHO,
    .port = 0,
    .conns = 100,
    .size = 64,
    .duration = 5,
    .warmup = 1,
    .idle_phase = 0,
    .ramp_timeout = 120,
    .max_pending = 100,
    .watch_pid = 0,
    .concurrency = 50,
    .npairs = 0,
};

static struct sockaddr_in target;
static int ep;
static unsigned char *rbuf;
static enum phase phase = P_RAMP;

/* Counters (measurement window only, except where noted). */
static long long count_ok;     /* round trips (echo) or matching replies (oneshot) in the window */
static long long bytes_ok;     /* bytes received back in the window */
static long long mismatches;   /* whole run */
static long long errors;       /* whole run */
static char first_problem[512];

static void die(int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "loadgen: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  exit(code);
}

static void problem(const char *fmt, ...) {
  if (first_problem[0] != '\0') return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(first_problem, sizeof first_problem, fmt, ap);
  va_end(ap);
  fprintf(stderr, "loadgen: %s\n", first_problem);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double self_cpu(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
         (double)ru.ru_stime.tv_usec / 1e6;
}

/* CPU seconds (user + system) used so far by pid, or -1. */
static double pid_cpu(int pid) {
  if (pid <= 0) return -1;
  char path[64], buf[2048];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  char *p = strrchr(buf, ')');
  if (!p) return -1;
  /* After ") ": field 3 (state) ... field 14 utime, field 15 stime. */
  unsigned long long utime = 0, stime = 0;
  int field = 2;
  for (char *tok = strtok(p + 1, " "); tok; tok = strtok(NULL, " ")) {
    field++;
    if (field == 14) utime = strtoull(tok, NULL, 10);
    if (field == 15) {
      stime = strtoull(tok, NULL, 10);
      break;
    }
  }
  return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

/* Read and write system calls made so far by pid (syscr, syscw from /proc/PID/io); -1 when unknown. */
static void pid_syscalls(int pid, long long *reads, long long *writes) {
  *reads = *writes = -1;
  if (pid <= 0) return;
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/io", pid);
  FILE *f = fopen(path, "r");
  if (!f) return;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "syscr:", 6) == 0) *reads = strtoll(line + 6, NULL, 10);
    if (strncmp(line, "syscw:", 6) == 0) *writes = strtoll(line + 6, NULL, 10);
  }
  fclose(f);
}

/* CPU seconds (all CPUs, everything but idle and iowait) the machine has been busy, from /proc/stat. */
static double machine_busy(void) {
  FILE *f = fopen("/proc/stat", "r");
  if (!f) return -1;
  unsigned long long v[10] = {0};
  int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
                 &v[5], &v[6], &v[7], &v[8], &v[9]);
  fclose(f);
  if (n < 8) return -1;
  /* user nice system idle iowait irq softirq steal (guest time is already in user). */
  unsigned long long busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
  return (double)busy / (double)sysconf(_SC_CLK_TCK);
}

/* VmRSS of pid in kB, or -1. */
static long pid_rss_kb(int pid) {
  if (pid <= 0) return -1;
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  long kb = -1;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "VmRSS:", 6) == 0) {
      kb = strtol(line + 6, NULL, 10);
      break;
    }
  }
  fclose(f);
  return kb;
}

/* The measurement window: wall time, and the CPU used by us, by the watched server and by everything else. */
struct window {
  double t0, t1, cpu0, cpu1, scpu0, scpu1, busy0, busy1;
  long long sr0, sw0, sr1, sw1;
};

static void window_start(struct window *w) {
  w->t0 = now();
  w->cpu0 = self_cpu();
  w->scpu0 = pid_cpu(opt.watch_pid);
  w->busy0 = machine_busy();
  pid_syscalls(opt.watch_pid, &w->sr0, &w->sw0);
}

static void window_stop(struct window *w) {
  w->t1 = now();
  w->cpu1 = self_cpu();
  w->scpu1 = pid_cpu(opt.watch_pid);
  w->busy1 = machine_busy();
  pid_syscalls(opt.watch_pid, &w->sr1, &w->sw1);
}

/* Percentages of one core over the window; other_cpu_pct is the rest of the machine (other processes); the
 * server's read and write system calls (all kinds: recv, read, accept, ...) per operation (round trip or reply). */
static void window_print(const struct window *w, long long ops) {
  double secs = w->t1 - w->t0;
  double self = (w->cpu1 - w->cpu0) / secs * 100;
  double server = (w->scpu0 >= 0 && w->scpu1 >= 0) ? (w->scpu1 - w->scpu0) / secs * 100 : -1;
  double busy = (w->busy0 >= 0 && w->busy1 >= 0) ? (w->busy1 - w->busy0) / secs * 100 : -1;
  double other = busy >= 0 ? busy - self - (server > 0 ? server : 0) : -1;
  printf(" seconds=%.3f loadgen_cpu_pct=%.1f server_cpu_pct=%.1f other_cpu_pct=%.1f", secs, self, server,
         other < 0 && busy >= 0 ? 0.0 : other);
  if (w->sr0 >= 0 && w->sr1 >= 0 && ops > 0)
    printf(" server_reads_per_op=%.2f server_writes_per_op=%.2f", (double)(w->sr1 - w->sr0) / (double)ops,
           (double)(w->sw1 - w->sw0) / (double)ops);
}

static unsigned char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) die(2, "cannot open %s: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fileno(f), &st) != 0) die(2, "cannot stat %s", path);
  unsigned char *data = malloc((size_t)st.st_size + 1);
  if (!data) die(4, "out of memory");
  size_t n = fread(data, 1, (size_t)st.st_size, f);
  fclose(f);
  if (n != (size_t)st.st_size) die(2, "short read on %s", path);
  *len = n;
  return data;
}

static void raise_nofile(long needed) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) die(4, "getrlimit: %s", strerror(errno));
  rl.rlim_cur = rl.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &rl) != 0) die(4, "setrlimit: %s", strerror(errno));
  if ((long)rl.rlim_cur < needed)
    die(4, "RLIMIT_NOFILE hard limit is %ld, %ld descriptors needed (raise `ulimit -Hn`)", (long)rl.rlim_cur,
        needed);
}

/* A new non-blocking socket connecting to the target, registered for `events`; -1 when the system refuses. */
static int open_conn(uint32_t events, uint64_t id, int nodelay) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (nodelay) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  if (connect(fd, (struct sockaddr *)&target, sizeof target) != 0 && errno != EINPROGRESS) {
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
  struct epoll_event ev = {.events = events, .data.u64 = id};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) die(4, "epoll_ctl: %s", strerror(errno));
  return fd;
}

static void set_events(int fd, uint32_t events, uint64_t id) {
  struct epoll_event ev = {.events = events, .data.u64 = id};
  if (epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev) != 0) die(4, "epoll_ctl mod: %s", strerror(errno));
}

static int connect_error(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
  return err;
}

static int wait_ms_until(double deadline) {
  double ms = (deadline - now()) * 1000.0;
  if (ms < 1) return 1;
  if (ms > 100) return 100;
  return (int)ms;
}

/* ------------------------------------------------------------------------------------------------------------ */
/* echo                                                                                                           */
/* ------------------------------------------------------------------------------------------------------------ */

enum cstate { C_NEW, C_CONNECTING, C_RUN, C_HOLD };

struct conn {
  int fd;
  enum cstate state;
  int confirmed;
  int want_out;
  unsigned off; /* this connection's message is pattern[off .. off + size] */
  long sent;
  long recvd;
};

static unsigned char *pattern;
static int running; /* connections in C_RUN */

static void echo_hold(struct conn *c) {
  if (c->state == C_RUN) running--;
  c->state = C_HOLD;
}

static void echo_send(struct conn *c, uint64_t id) {
  while (c->sent < opt.size) {
    ssize_t n = send(c->fd, pattern + c->off + c->sent, (size_t)(opt.size - c->sent), MSG_NOSIGNAL);
    if (n > 0) {
      c->sent += n;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      break;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      errors++;
      problem("echo: send failed: %s", strerror(errno));
      epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
      echo_hold(c);
      return;
    }
  }
  int want = c->sent < opt.size;
  if (want != c->want_out) {
    c->want_out = want;
    set_events(c->fd, EPOLLIN | (want ? EPOLLOUT : 0), id);
  }
}

static void echo_begin(struct conn *c, uint64_t id) {
  if (c->state != C_RUN) running++;
  c->state = C_RUN;
  c->sent = 0;
  c->recvd = 0;
  echo_send(c, id);
}

static int run_echo(void) {
  int n = opt.conns;
  raise_nofile(n + 64);
  struct conn *conns = calloc((size_t)n, sizeof *conns);
  pattern = malloc((size_t)opt.size + 256);
  if (!conns || !pattern) die(4, "out of memory");
  for (long i = 0; i < opt.size + 256; i++) pattern[i] = (unsigned char)(i * 7 + (i >> 8));
  for (int i = 0; i < n; i++) {
    conns[i].fd = -1;
    conns[i].off = (unsigned)(i % 256);
  }

  long base_rss = pid_rss_kb(opt.watch_pid);
  long idle_rss = -1;
  double t_start = now();
  double ramp_deadline = t_start + opt.ramp_timeout;
  double t_ready = 0, t_phase_end = 0;
  struct window w = {0};
  int started = 0, pending = 0, confirmed = 0;
  struct epoll_event events[MAX_EVENTS];

  for (;;) {
    double t = now();
    /* Phase changes. */
    if (phase == P_RAMP) {
      while (started < n && pending < opt.max_pending) {
        struct conn *c = &conns[started];
        c->fd = open_conn(EPOLLIN | EPOLLOUT, (uint64_t)started, 1);
        if (c->fd < 0) die(4, "cannot open connection %d: %s", started, strerror(errno));
        c->state = C_CONNECTING;
        started++;
        pending++;
      }
      if (confirmed == n) {
        t_ready = t;
        printf("READY conns=%d ramp_s=%.3f base_rss_kb=%ld\n", n, t_ready - t_start, base_rss);
        fflush(stdout);
        if (opt.idle_phase > 0) {
          phase = P_IDLE;
          t_phase_end = t + opt.idle_phase;
        } else {
          phase = P_WARMUP;
          t_phase_end = t + opt.warmup;
        }
      } else if (t > ramp_deadline) {
        printf("RESULT mode=echo ok=0 error=ramp_timeout confirmed=%d conns=%d\n", confirmed, n);
        fflush(stdout);
        die(3, "ramp timed out: %d of %d connections confirmed after %.1f s", confirmed, n, opt.ramp_timeout);
      }
    }
    if (phase == P_IDLE && t >= t_phase_end) {
      idle_rss = pid_rss_kb(opt.watch_pid);
      for (int i = 0; i < n; i++) echo_begin(&conns[i], (uint64_t)i);
      phase = P_WARMUP;
      t_phase_end = now() + opt.warmup;
    }
    if (phase == P_WARMUP && t >= t_phase_end) {
      phase = P_MEASURE;
      window_start(&w);
      t_phase_end = w.t0 + opt.duration;
    }
    if (phase == P_MEASURE && t >= t_phase_end) {
      window_stop(&w);
      phase = P_DRAIN;
      t_phase_end = now() + DRAIN_SECONDS;
    }
    if (phase == P_DRAIN && (running == 0 || t >= t_phase_end)) break;

    double deadline = phase == P_RAMP ? t + 0.1 : t_phase_end;
    int k = epoll_wait(ep, events, MAX_EVENTS, wait_ms_until(deadline));
    if (k < 0) {
      if (errno == EINTR) continue;
      die(4, "epoll_wait: %s", strerror(errno));
    }
    for (int e = 0; e < k; e++) {
      uint64_t id = events[e].data.u64;
      struct conn *c = &conns[id];
      uint32_t ev = events[e].events;
      if (c->state == C_CONNECTING) {
        int err = (ev & (EPOLLERR | EPOLLHUP)) ? connect_error(c->fd) : 0;
        if (err == 0 && (ev & (EPOLLERR | EPOLLHUP))) err = ECONNRESET;
        if (err != 0) {
          printf("RESULT mode=echo ok=0 error=connect\n");
          fflush(stdout);
          die(1, "connection %lu failed: %s", (unsigned long)id, strerror(err));
        }
        if (!(ev & EPOLLOUT)) continue;
        c->want_out = 1; /* registered with EPOLLOUT */
        echo_begin(c, id);
        continue;
      }
      if (ev & EPOLLOUT && c->state == C_RUN) echo_send(c, id);
      if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
        ssize_t r = recv(c->fd, rbuf, RBUF_SIZE, 0);
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
        if (r <= 0) {
          errors++;
          problem("echo: connection %lu: %s", (unsigned long)id, r == 0 ? "closed by the server" : strerror(errno));
          epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
          echo_hold(c);
          continue;
        }
        if (c->state != C_RUN || c->recvd + r > c->sent) {
          mismatches++;
          problem("echo: connection %lu: %ld bytes more than were sent", (unsigned long)id,
                  (long)(c->recvd + r - c->sent));
          continue;
        }
        if (memcmp(rbuf, pattern + c->off + c->recvd, (size_t)r) != 0) {
          mismatches++;
          problem("echo: connection %lu: echoed bytes differ from the bytes sent", (unsigned long)id);
        }
        c->recvd += r;
        if (c->recvd == opt.size) {
          if (phase == P_MEASURE) {
            count_ok++;
            bytes_ok += opt.size;
          }
          if (!c->confirmed) {
            c->confirmed = 1;
            confirmed++;
            pending--;
          }
          if ((phase == P_RAMP && opt.idle_phase > 0) || phase == P_IDLE || phase == P_DRAIN) {
            echo_hold(c);
          } else {
            echo_begin(c, id);
          }
        }
      }
    }
  }
  double secs = w.t1 - w.t0;
  long end_rss = pid_rss_kb(opt.watch_pid);
  printf("RESULT mode=echo ok=%d conns=%d size=%ld round_trips=%lld rt_per_s=%.1f mb_per_s=%.3f mismatches=%lld "
         "errors=%lld ramp_s=%.3f base_rss_kb=%ld idle_rss_kb=%ld end_rss_kb=%ld",
         mismatches == 0 && errors == 0, n, opt.size, count_ok, (double)count_ok / secs,
         (double)bytes_ok / secs / 1e6, mismatches, errors, t_ready - t_start, base_rss, idle_rss, end_rss);
  window_print(&w, count_ok);
  printf("\n");
  fflush(stdout);
  return mismatches == 0 && errors == 0 ? 0 : 1;
}

/* ------------------------------------------------------------------------------------------------------------ */
/* oneshot                                                                                                        */
/* ------------------------------------------------------------------------------------------------------------ */

enum sstate { S_CONNECTING, S_SENDING, S_READING };

struct slot {
  int fd;
  enum sstate state;
  int pair;
  size_t sent;
  size_t got;
  int overflow;
  unsigned char *buf; /* response so far; capacity max_res + 1 */
};

static unsigned char *req[MAX_PAIRS], *res[MAX_PAIRS];
static size_t req_len[MAX_PAIRS], res_len[MAX_PAIRS];
static size_t max_res;
static long long next_pair;
static int active; /* slots with a connection */

static void slot_start(struct slot *s, uint64_t id) {
  active++;
  s->pair = (int)(next_pair++ % opt.npairs);
  s->sent = 0;
  s->got = 0;
  s->overflow = 0;
  s->state = S_CONNECTING;
  /* Edge-triggered for both directions, registered once: connect completion (OUT), then the reply (IN). One
   * request is one write, so no TCP_NODELAY; every syscall saved here is CPU left to the server. */
  s->fd = open_conn(EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, id, 0);
  if (s->fd < 0) die(4, "cannot open a connection: %s", strerror(errno));
}

static void slot_finish(struct slot *s, uint64_t id) {
  close(s->fd);
  s->fd = -1;
  active--;
  if (phase != P_DRAIN) slot_start(s, id);
}

static void slot_error(struct slot *s, uint64_t id, const char *what, int err) {
  errors++;
  problem("oneshot: %s (request %s): %s", what, opt.req_path[s->pair], err ? strerror(err) : "failed");
  slot_finish(s, id);
}

static void slot_send(struct slot *s, uint64_t id) {
  while (s->sent < req_len[s->pair]) {
    ssize_t n = send(s->fd, req[s->pair] + s->sent, req_len[s->pair] - s->sent, MSG_NOSIGNAL);
    if (n > 0) {
      s->sent += (size_t)n;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      slot_error(s, id, "send", errno);
      return;
    }
  }
  s->state = S_READING;
}

/* Compare the reply received with the expected one; count it (in the window) or report the difference. */
static int slot_check(struct slot *s) {
  int p = s->pair;
  if (!s->overflow && s->got == res_len[p] && memcmp(s->buf, res[p], res_len[p]) == 0) {
    if (phase == P_MEASURE) {
      count_ok++;
      bytes_ok += (long long)s->got;
    }
    return 1;
  }
  mismatches++;
  size_t at = 0;
  while (at < s->got && at < res_len[p] && s->buf[at] == res[p][at]) at++;
  problem("oneshot: reply to %s differs from %s: %zu%s bytes received, %zu expected, first difference at byte %zu",
          opt.req_path[p], opt.res_path[p], s->got, s->overflow ? "+" : "", res_len[p], at);
  return 0;
}

/* Keep-alive: the next request on the same connection. */
static void slot_again(struct slot *s, uint64_t id) {
  s->pair = (int)(next_pair++ % opt.npairs);
  s->sent = 0;
  s->got = 0;
  s->overflow = 0;
  s->state = S_SENDING;
  slot_send(s, id);
}

static void slot_read(struct slot *s, uint64_t id) {
  for (;;) {
    size_t room = max_res + 1 - s->got;
    ssize_t n = recv(s->fd, room > 0 ? s->buf + s->got : rbuf, room > 0 ? room : RBUF_SIZE, 0);
    if (n > 0) {
      if (room == 0) s->overflow = 1;
      else s->got += (size_t)n;
      /* Keep-alive: the server does not close, so a reply ends at its expected length. */
      if (opt.keepalive && s->got >= res_len[s->pair]) {
        if (!slot_check(s) || phase == P_DRAIN) {
          slot_finish(s, id);
          return;
        }
        slot_again(s, id);
        if (s->state != S_READING) return; /* the rest of the request goes out on EPOLLOUT */
      }
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      slot_error(s, id, "recv", errno);
      return;
    }
    /* End of stream: the whole reply is in (one-shot), or the server closed a keep-alive connection early. */
    slot_check(s);
    slot_finish(s, id);
    return;
  }
}

static int run_oneshot(void) {
  if (opt.npairs == 0) die(2, "oneshot needs at least one --pair REQ RES");
  raise_nofile(opt.concurrency + 64);
  for (int i = 0; i < opt.npairs; i++) {
    req[i] = read_file(opt.req_path[i], &req_len[i]);
    res[i] = read_file(opt.res_path[i], &res_len[i]);
    if (res_len[i] > max_res) max_res = res_len[i];
  }
  struct slot *slots = calloc((size_t)opt.concurrency, sizeof *slots);
  if (!slots) die(4, "out of memory");
  for (int i = 0; i < opt.concurrency; i++) {
    slots[i].buf = malloc(max_res + 1);
    if (!slots[i].buf) die(4, "out of memory");
  }
  double t_start = now();
  phase = P_WARMUP;
  double t_phase_end = t_start + opt.warmup;
  struct window w = {0};
  for (int i = 0; i < opt.concurrency; i++) slot_start(&slots[i], (uint64_t)i);
  printf("READY concurrency=%d\n", opt.concurrency);
  fflush(stdout);
  struct epoll_event events[MAX_EVENTS];
  for (;;) {
    double t = now();
    if (phase == P_WARMUP && t >= t_phase_end) {
      phase = P_MEASURE;
      window_start(&w);
      t_phase_end = w.t0 + opt.duration;
    }
    if (phase == P_MEASURE && t >= t_phase_end) {
      window_stop(&w);
      phase = P_DRAIN;
      t_phase_end = now() + DRAIN_SECONDS;
    }
    if (phase == P_DRAIN && (active == 0 || t >= t_phase_end)) break;
    int k = epoll_wait(ep, events, MAX_EVENTS, wait_ms_until(t_phase_end));
    if (k < 0) {
      if (errno == EINTR) continue;
      die(4, "epoll_wait: %s", strerror(errno));
    }
    for (int e = 0; e < k; e++) {
      uint64_t id = events[e].data.u64;
      struct slot *s = &slots[id];
      uint32_t ev = events[e].events;
      switch (s->state) {
      case S_CONNECTING: {
        int err = (ev & (EPOLLERR | EPOLLHUP)) ? connect_error(s->fd) : 0;
        if (err == 0 && (ev & (EPOLLERR | EPOLLHUP))) err = ECONNRESET;
        if (err != 0) {
          slot_error(s, id, "connect", err);
          break;
        }
        s->state = S_SENDING;
        slot_send(s, id);
        /* Edge-triggered: an early end of stream that came with this event will not be reported again. */
        if (s->state == S_READING && (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP))) slot_read(s, id);
        break;
      }
      case S_SENDING:
        if (ev & (EPOLLERR | EPOLLHUP)) {
          slot_error(s, id, "send", connect_error(s->fd));
          break;
        }
        slot_send(s, id);
        if (s->state == S_READING && (ev & (EPOLLIN | EPOLLRDHUP))) slot_read(s, id);
        break;
      case S_READING:
        if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) slot_read(s, id);
        break;
      }
    }
  }
  double secs = w.t1 - w.t0;
  printf("RESULT mode=oneshot ok=%d keep_alive=%d concurrency=%d replies=%lld req_per_s=%.1f mismatches=%lld "
         "errors=%lld end_rss_kb=%ld",
         mismatches == 0 && errors == 0, opt.keepalive, opt.concurrency, count_ok, (double)count_ok / secs, mismatches,
         errors, pid_rss_kb(opt.watch_pid));
  window_print(&w, count_ok);
  printf("\n");
  fflush(stdout);
  return mismatches == 0 && errors == 0 ? 0 : 1;
}

/* ------------------------------------------------------------------------------------------------------------ */
/* idle                                                                                                           */
/* ------------------------------------------------------------------------------------------------------------ */

static int run_idle(void) {
  int n = opt.conns;
  raise_nofile(n + 64);
  int *fds = malloc((size_t)n * sizeof *fds);
  char *open_ = calloc((size_t)n, 1);
  if (!fds || !open_) die(4, "out of memory");
  double t_start = now();
  double deadline = t_start + opt.ramp_timeout;
  int started = 0, pending = 0, connected = 0, closed = 0;
  struct epoll_event events[MAX_EVENTS];
  while (connected < n) {
    while (started < n && pending < opt.max_pending) {
      fds[started] = open_conn(EPOLLOUT, (uint64_t)started, 0);
      if (fds[started] < 0) die(4, "cannot open connection %d: %s", started, strerror(errno));
      started++;
      pending++;
    }
    if (now() > deadline) die(3, "idle: only %d of %d connections after %.1f s", connected, n, opt.ramp_timeout);
    int k = epoll_wait(ep, events, MAX_EVENTS, 100);
    for (int e = 0; e < k; e++) {
      uint64_t id = events[e].data.u64;
      if (open_[id]) {
        closed++;
        epoll_ctl(ep, EPOLL_CTL_DEL, fds[id], NULL);
        continue;
      }
      int err = connect_error(fds[id]);
      if (err != 0) die(1, "idle: connection %lu failed: %s", (unsigned long)id, strerror(err));
      open_[id] = 1;
      pending--;
      connected++;
      set_events(fds[id], EPOLLIN | EPOLLRDHUP, id);
    }
  }
  printf("READY conns=%d ramp_s=%.3f\n", n, now() - t_start);
  fflush(stdout);
  double end = now() + opt.duration;
  while (now() < end) {
    int k = epoll_wait(ep, events, MAX_EVENTS, wait_ms_until(end));
    for (int e = 0; e < k; e++) {
      closed++;
      epoll_ctl(ep, EPOLL_CTL_DEL, fds[events[e].data.u64], NULL);
    }
  }
  printf("RESULT mode=idle ok=1 conns=%d closed_by_peer=%d\n", n, closed);
  fflush(stdout);
  return 0;
}

/* ------------------------------------------------------------------------------------------------------------ */

static void usage(void) {
  fprintf(stderr,
          "usage: loadgen echo    --port P [--conns N] [--size S] [--duration D] [--warmup W] [--idle-phase I]\n"
          "                       [--max-pending K] [--ramp-timeout T] [--watch-pid PID]\n"
          "       loadgen oneshot --port P [--concurrency C] [--keep-alive 0|1] [--duration D] [--warmup W]\n"
          "                       [--watch-pid PID]\n"
          "                       --pair REQ RES [--pair REQ RES ...]\n"
          "       loadgen idle    --port P [--conns N] [--duration D] [--max-pending K] [--ramp-timeout T]\n"
          "Always connects to 127.0.0.1.\n");
  exit(2);
}

static double num(const char *s) {
  char *end;
  double v = strtod(s, &end);
  if (*s == '\0' || *end != '\0' || v < 0) usage();
  return v;
}

int main(int argc, char **argv) {
  if (argc < 2) usage();
  if (strcmp(argv[1], "echo") == 0) opt.mode = M_ECHO;
  else if (strcmp(argv[1], "oneshot") == 0) opt.mode = M_ONESHOT;
  else if (strcmp(argv[1], "idle") == 0) opt.mode = M_IDLE;
  else usage();
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
    int more = i + 1 < argc;
    if (!more) usage();
    if (strcmp(a, "--port") == 0) opt.port = (int)num(argv[++i]);
    else if (strcmp(a, "--conns") == 0) opt.conns = (int)num(argv[++i]);
    else if (strcmp(a, "--size") == 0) opt.size = (long)num(argv[++i]);
    else if (strcmp(a, "--duration") == 0) opt.duration = num(argv[++i]);
    else if (strcmp(a, "--warmup") == 0) opt.warmup = num(argv[++i]);
    else if (strcmp(a, "--idle-phase") == 0) opt.idle_phase = num(argv[++i]);
    else if (strcmp(a, "--ramp-timeout") == 0) opt.ramp_timeout = num(argv[++i]);
    else if (strcmp(a, "--max-pending") == 0) opt.max_pending = (int)num(argv[++i]);
    else if (strcmp(a, "--watch-pid") == 0) opt.watch_pid = (int)num(argv[++i]);
    else if (strcmp(a, "--concurrency") == 0) opt.concurrency = (int)num(argv[++i]);
    else if (strcmp(a, "--keep-alive") == 0) opt.keepalive = num(argv[++i]) != 0;
    else if (strcmp(a, "--pair") == 0 && i + 2 < argc) {
      if (opt.npairs == MAX_PAIRS) die(2, "at most %d pairs", MAX_PAIRS);
      opt.req_path[opt.npairs] = argv[++i];
      opt.res_path[opt.npairs] = argv[++i];
      opt.npairs++;
    } else usage();
  }
  if (opt.port <= 0 || opt.port > 65535 || opt.conns < 1 || opt.size < 1 || opt.concurrency < 1 ||
      opt.max_pending < 1 || opt.duration <= 0)
    usage();

  /* The hard stop: whatever happens, this process ends on its own. */
  double budget = opt.ramp_timeout + opt.idle_phase + opt.warmup + opt.duration + 10;
  alarm((unsigned)budget + 1);
  signal(SIGPIPE, SIG_IGN);

  memset(&target, 0, sizeof target);
  target.sin_family = AF_INET;
  target.sin_port = htons((uint16_t)opt.port);
  target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die(4, "epoll_create1: %s", strerror(errno));
  rbuf = malloc(RBUF_SIZE);
  if (!rbuf) die(4, "out of memory");

  switch (opt.mode) {
  case M_ECHO:
    return run_echo();
  case M_ONESHOT:
    return run_oneshot();
  case M_IDLE:
    return run_idle();
  }
  return 2;
}
