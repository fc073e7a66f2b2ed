/* The host–guest control protocol of the microVM isolation level.
 *
 * Shared by the host side (the .c files at the top of microvm/) and the static guest init
 * (microvm/guest/); this header and proto.c depend on libc only.
 *
 * Transport: one virtio-console port named HULL_PROTO_PORT_NAME.  The host
 * end is always connected (a socketpair end or an fd held by the VMM), so
 * the guest never races a connect.  Both directions carry the same frames:
 *
 *     u32 len      payload bytes that follow the header (little endian)
 *     u16 type     enum hull_msg_type
 *     u16 flags    0 (reserved; non-zero is rejected)
 *     u32 id       process id: 0 is the container's process, exec ids >= 1
 *     u8  payload[len]
 *
 * Every frame is checked against a per-type payload bound before anything
 * is allocated, so a peer cannot make the other side allocate more than
 * HULL_PROTO_MAX_PAYLOAD.  The host treats every byte from the guest as
 * hostile; the guest parses the host's CONFIG defensively too.
 *
 * Conversation:
 *   guest -> HELLO{magic, version}     host checks the version, answers
 *   host  -> HELLO{magic, version}     then
 *   host  -> CONFIG{process TLVs}      guest mounts the rootfs, prepares
 *   guest -> READY                      (or ERROR{text} and EXIT)
 *   host  -> START                      guest runs process.args
 *   guest -> STARTED{pid}               (or ERROR{text} + EXIT{127 << 8})
 *   both  -> STDIN / STDOUT / STDERR{bytes}; an empty frame is EOF
 *   host  -> SIGNAL{signo}, WINSIZE{rows, cols}, EXEC{process TLVs}
 *   guest -> EXIT{wait status} per id; after EXIT for id 0 the guest powers
 *            off (reboot=t triple fault), which ends the VMM.
 */
#ifndef HULL_MICROVM_PROTO_H
#define HULL_MICROVM_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HULL_PROTO_MAGIC 0x4c4c5548u /* "HULL" */
#define HULL_PROTO_VERSION 1u
#define HULL_PROTO_PORT_NAME "hull.control"

#define HULL_PROTO_HDR_SIZE 12u
#define HULL_PROTO_MAX_PAYLOAD (1u << 20)   /* CONFIG / EXEC */
#define HULL_PROTO_MAX_DATA (64u << 10)     /* one STDIN/STDOUT/STDERR frame */
#define HULL_PROTO_MAX_TEXT 4096u           /* ERROR text */

enum hull_msg_type
{
  HULL_MSG_HELLO = 1,
  HULL_MSG_CONFIG = 2,
  HULL_MSG_READY = 3,
  HULL_MSG_START = 4,
  HULL_MSG_STARTED = 5,
  HULL_MSG_SIGNAL = 6,
  HULL_MSG_EXEC = 7,
  HULL_MSG_STDIN = 8,
  HULL_MSG_STDOUT = 9,
  HULL_MSG_STDERR = 10,
  HULL_MSG_WINSIZE = 11,
  HULL_MSG_EXIT = 12,
  HULL_MSG_ERROR = 13,
  HULL_MSG__MAX
};

struct hull_msg
{
  uint16_t type;
  uint32_t id;
  uint32_t len;
  uint8_t *payload;   /* malloc'd, len bytes (+1 NUL not counted); NULL when len == 0 */
};

/* Largest payload accepted for a type, or -1 for an unknown type. */
long hull_msg_max_payload (unsigned type);
const char *hull_msg_type_name (unsigned type);

/* Checks a header.  Returns 0 or -EBADMSG (unknown type, flags) or
   -EMSGSIZE (payload over the type's bound). */
int hull_msg_parse_header (const uint8_t hdr[HULL_PROTO_HDR_SIZE], struct hull_msg *out);
void hull_msg_clear (struct hull_msg *m);

/* Incremental reader for non-blocking fds: feed whatever arrived. */
struct hull_msg_reader
{
  uint8_t hdr[HULL_PROTO_HDR_SIZE];
  size_t have;            /* bytes of header + payload received */
  struct hull_msg cur;
  bool in_payload;
  int error;              /* sticky: once a stream is corrupt it stays so */
};
void hull_msg_reader_init (struct hull_msg_reader *r);
void hull_msg_reader_release (struct hull_msg_reader *r);
/* Consumes up to len bytes (*used says how many).  Returns 1 with *out
   filled (caller owns it; hull_msg_clear) when a frame is complete, 0 when
   more bytes are needed, or a negative errno when the stream is corrupt. */
int hull_msg_reader_feed (struct hull_msg_reader *r, const uint8_t *data, size_t len, size_t *used,
                          struct hull_msg *out);

/* Blocking I/O on a port or socket.  hull_msg_read returns 0, -EPIPE on a
   clean EOF before a header, or a negative errno. */
int hull_msg_read (int fd, struct hull_msg *out);
int hull_msg_write (int fd, uint16_t type, uint32_t id, const void *payload, uint32_t len);

/* Growable output buffer for encoders; oom is sticky and checked once. */
struct hull_buf
{
  uint8_t *data;
  size_t len, cap;
  bool oom;
};
void hull_buf_release (struct hull_buf *b);
void hull_buf_put (struct hull_buf *b, const void *p, size_t n);
void hull_buf_put_u16 (struct hull_buf *b, uint16_t v);
void hull_buf_put_u32 (struct hull_buf *b, uint32_t v);
void hull_buf_put_u64 (struct hull_buf *b, uint64_t v);
/* A whole frame: header + payload. */
int hull_msg_encode (struct hull_buf *b, uint16_t type, uint32_t id, const void *payload, uint32_t len);

/* Small fixed payloads. */
struct hull_hello { uint32_t magic, version; };
int hull_hello_decode (const struct hull_msg *m, struct hull_hello *out);   /* -EPROTO on bad magic/version */
void hull_hello_encode (uint8_t out[8]);
int hull_u32_decode (const struct hull_msg *m, uint32_t *out);              /* SIGNAL, STARTED, EXIT */
void hull_u32_encode (uint8_t out[4], uint32_t v);
struct hull_winsize { uint16_t rows, cols; };
int hull_winsize_decode (const struct hull_msg *m, struct hull_winsize *out);
void hull_winsize_encode (uint8_t out[4], const struct hull_winsize *ws);

/* ---- CONFIG / EXEC payload: a process to run ----
 *
 * A sequence of TLVs: u16 tag, u32 len, value.  Strings carry no NUL and
 * must not contain one.  Repeated tags append in order.  Unknown tags are
 * skipped so a newer host can add optional fields; every known tag has a
 * fixed or bounded size and a count limit. */
enum hull_tag
{
  HULL_TAG_ARG = 1,         /* string, repeated */
  HULL_TAG_ENV = 2,         /* string "K=V", repeated */
  HULL_TAG_CWD = 3,         /* string, absolute */
  HULL_TAG_UID = 4,         /* u32 */
  HULL_TAG_GID = 5,         /* u32 */
  HULL_TAG_AGID = 6,        /* u32, repeated */
  HULL_TAG_UMASK = 7,       /* u32 */
  HULL_TAG_HOSTNAME = 8,    /* string (CONFIG only) */
  HULL_TAG_RLIMIT = 9,      /* u32 resource, u64 soft, u64 hard; repeated */
  HULL_TAG_TERMINAL = 10,   /* u8 */
  HULL_TAG_CONSOLE_SIZE = 11, /* u16 rows, u16 cols */
  HULL_TAG_CAPS = 12,       /* 5 x u64: bounding, effective, inheritable, permitted, ambient */
  HULL_TAG_NO_NEW_PRIVS = 13, /* u8 */
  HULL_TAG_MOUNT = 14,      /* u64 MS_* flags, then 4 NUL-terminated strings:
                               destination, type, source, data; repeated (CONFIG only) */
  HULL_TAG_SECCOMP = 15,    /* struct sock_filter[] (8 bytes each), ready to load */
  HULL_TAG_ROOT_READONLY = 16, /* u8 (CONFIG only) */
  HULL_TAG_NET = 17,        /* eth0: u8 mac[6], u32 mtu, u8 ipv4[4], u8 prefix, u8 gateway[4]
                               (0.0.0.0: none); CONFIG only */
  HULL_TAG_SYSCTL = 18,     /* string "key=value" (key as in /proc/sys, dots or slashes); repeated, CONFIG only */
  HULL_TAG_MASKED = 19,     /* string, absolute path; repeated, CONFIG only */
  HULL_TAG_READONLY = 20,   /* string, absolute path; repeated, CONFIG only */
  HULL_TAG_OOM_SCORE_ADJ = 21, /* i32 in -1000..1000 */
  HULL_TAG_PERSONALITY = 22, /* u32 persona (PER_LINUX, PER_LINUX32) */
  HULL_TAG_IOPRIO = 23,     /* u32 ioprio_set() value: class << 13 | level */
  HULL_TAG_ROOT_PROPAGATION = 25, /* u64 MS_SHARED|MS_SLAVE|MS_PRIVATE|MS_UNBINDABLE, maybe |MS_REC (CONFIG only) */
  HULL_TAG_SCHED = 24,      /* u32 policy, u64 flags, i32 nice, u32 priority, u64 runtime,
                               deadline, period: sched_setattr()'s fields */
};

#define HULL_CFG_MAX_ARGS 4096u
#define HULL_CFG_MAX_ENV 4096u
#define HULL_CFG_MAX_STRING 65536u
#define HULL_CFG_MAX_GROUPS 256u
#define HULL_CFG_MAX_RLIMITS 32u
#define HULL_CFG_MAX_MOUNTS 256u
#define HULL_CFG_MAX_PATHS 1024u       /* sysctls, masked and read-only paths, each */
#define HULL_CFG_MAX_SECCOMP_INSNS 4096u   /* BPF_MAXINSNS */

enum hull_cap_set { HULL_CAP_BOUNDING, HULL_CAP_EFFECTIVE, HULL_CAP_INHERITABLE, HULL_CAP_PERMITTED, HULL_CAP_AMBIENT, HULL_CAP__N };

struct hull_rlimit { uint32_t resource; uint64_t soft, hard; };
struct hull_net { uint8_t mac[6]; uint32_t mtu; uint8_t addr[4]; uint8_t prefix; uint8_t gateway[4]; };
#define HULL_NET_SIZE 19u
struct hull_mount { uint64_t flags; char *destination, *type, *source, *data; };
/* In hull_mount.flags beside the MS_* flags (never passed to mount()): a
   tmpfs filled with what it hides (the tmpcopyup option). */
#define HULL_MOUNT_TMPCOPYUP (1ull << 63)
struct hull_sched { uint32_t policy; uint64_t flags; int32_t nice; uint32_t priority; uint64_t runtime, deadline, period; };
#define HULL_SCHED_SIZE 44u

struct hull_process
{
  char **args; size_t n_args;           /* NULL-terminated as well */
  char **env; size_t n_env;             /* NULL-terminated as well */
  char *cwd;
  uint32_t uid, gid;
  uint32_t *agids; size_t n_agids;
  bool has_umask; uint32_t umask;
  char *hostname;
  struct hull_rlimit *rlimits; size_t n_rlimits;
  bool terminal;
  struct hull_winsize console_size;     /* 0x0: not given */
  bool has_caps; uint64_t caps[HULL_CAP__N];
  bool no_new_privs;
  struct hull_mount *mounts; size_t n_mounts;
  uint8_t *seccomp; size_t seccomp_len; /* bytes, a multiple of 8 */
  bool root_readonly;
  bool has_net; struct hull_net net;    /* the guest's eth0; without it only lo is up */
  char **sysctl; size_t n_sysctl;       /* NULL-terminated as well */
  char **masked; size_t n_masked;
  char **readonly; size_t n_readonly;
  bool has_oom_score_adj; int32_t oom_score_adj;
  bool has_personality; uint32_t personality;
  bool has_ioprio; uint32_t ioprio;
  bool has_sched; struct hull_sched sched;
  uint64_t root_propagation;            /* 0: the guest's default (private) */
};

/* Encodes p as a CONFIG/EXEC payload into b.  Returns 0 or -ENOMEM/-EINVAL
   (a string with a NUL can't happen from C strings; an over-limit list can). */
int hull_process_encode (struct hull_buf *b, const struct hull_process *p);
/* Decodes a payload; on failure returns -EBADMSG (malformed), -E2BIG (over a
   limit) or -ENOMEM, writes a one-line reason into why (if non-NULL) and
   leaves *p empty.  A process without args is malformed. */
int hull_process_decode (const uint8_t *data, size_t len, struct hull_process *p, char *why, size_t why_len);
void hull_process_release (struct hull_process *p);

#endif
