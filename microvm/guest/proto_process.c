/* The CONFIG / EXEC payload (proto.h, struct hull_process): a TLV list,
   encoded on the host and decoded defensively in the guest.  libc only. */
#include "microvm/guest/proto.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

static uint16_t
get_u16 (const uint8_t *p)
{
  return (uint16_t) (p[0] | (p[1] << 8));
}

static uint32_t
get_u32 (const uint8_t *p)
{
  return (uint32_t) p[0] | ((uint32_t) p[1] << 8) | ((uint32_t) p[2] << 16) | ((uint32_t) p[3] << 24);
}

static uint64_t
get_u64 (const uint8_t *p)
{
  return (uint64_t) get_u32 (p) | ((uint64_t) get_u32 (p + 4) << 32);
}

static void
set_u32 (uint8_t *p, uint32_t v)
{
  for (int i = 0; i < 4; i++)
    p[i] = (v >> (8 * i)) & 0xff;
}

/* ---- process TLVs ---- */

static void
put_tlv (struct hull_buf *b, uint16_t tag, const void *v, size_t len)
{
  if (len > UINT32_MAX)
    {
      b->oom = true;
      return;
    }
  hull_buf_put_u16 (b, tag);
  hull_buf_put_u32 (b, (uint32_t) len);
  hull_buf_put (b, v, len);
}

static void
put_str (struct hull_buf *b, uint16_t tag, const char *s)
{
  if (s)
    put_tlv (b, tag, s, strlen (s));
}

static void
put_tlv_u32 (struct hull_buf *b, uint16_t tag, uint32_t v)
{
  uint8_t p[4];
  set_u32 (p, v);
  put_tlv (b, tag, p, 4);
}

static void
put_tlv_u8 (struct hull_buf *b, uint16_t tag, uint8_t v)
{
  put_tlv (b, tag, &v, 1);
}

int
hull_process_encode (struct hull_buf *b, const struct hull_process *p)
{
  size_t i;

  if (p->n_args == 0 || p->n_args > HULL_CFG_MAX_ARGS || p->n_env > HULL_CFG_MAX_ENV
      || p->n_agids > HULL_CFG_MAX_GROUPS || p->n_rlimits > HULL_CFG_MAX_RLIMITS
      || p->n_mounts > HULL_CFG_MAX_MOUNTS || p->n_sysctl > HULL_CFG_MAX_PATHS || p->n_masked > HULL_CFG_MAX_PATHS
      || p->n_readonly > HULL_CFG_MAX_PATHS || p->seccomp_len % 8
      || p->seccomp_len / 8 > HULL_CFG_MAX_SECCOMP_INSNS)
    return -EINVAL;
  for (i = 0; i < p->n_args; i++)
    put_str (b, HULL_TAG_ARG, p->args[i]);
  for (i = 0; i < p->n_env; i++)
    put_str (b, HULL_TAG_ENV, p->env[i]);
  put_str (b, HULL_TAG_CWD, p->cwd);
  put_tlv_u32 (b, HULL_TAG_UID, p->uid);
  put_tlv_u32 (b, HULL_TAG_GID, p->gid);
  for (i = 0; i < p->n_agids; i++)
    put_tlv_u32 (b, HULL_TAG_AGID, p->agids[i]);
  if (p->has_umask)
    put_tlv_u32 (b, HULL_TAG_UMASK, p->umask);
  put_str (b, HULL_TAG_HOSTNAME, p->hostname);
  for (i = 0; i < p->n_rlimits; i++)
    {
      struct hull_buf v = { 0 };
      hull_buf_put_u32 (&v, p->rlimits[i].resource);
      hull_buf_put_u64 (&v, p->rlimits[i].soft);
      hull_buf_put_u64 (&v, p->rlimits[i].hard);
      put_tlv (b, HULL_TAG_RLIMIT, v.data, v.len);
      b->oom |= v.oom;
      hull_buf_release (&v);
    }
  if (p->terminal)
    put_tlv_u8 (b, HULL_TAG_TERMINAL, 1);
  if (p->console_size.rows || p->console_size.cols)
    {
      uint8_t ws[4];
      hull_winsize_encode (ws, &p->console_size);
      put_tlv (b, HULL_TAG_CONSOLE_SIZE, ws, 4);
    }
  if (p->has_caps)
    {
      struct hull_buf v = { 0 };
      for (i = 0; i < HULL_CAP__N; i++)
        hull_buf_put_u64 (&v, p->caps[i]);
      put_tlv (b, HULL_TAG_CAPS, v.data, v.len);
      b->oom |= v.oom;
      hull_buf_release (&v);
    }
  if (p->no_new_privs)
    put_tlv_u8 (b, HULL_TAG_NO_NEW_PRIVS, 1);
  for (i = 0; i < p->n_mounts; i++)
    {
      const struct hull_mount *m = &p->mounts[i];
      const char *s[4] = { m->destination, m->type, m->source, m->data };
      struct hull_buf v = { 0 };
      hull_buf_put_u64 (&v, m->flags);
      for (int k = 0; k < 4; k++)
        hull_buf_put (&v, s[k] ? s[k] : "", strlen (s[k] ? s[k] : "") + 1);
      put_tlv (b, HULL_TAG_MOUNT, v.data, v.len);
      b->oom |= v.oom;
      hull_buf_release (&v);
    }
  if (p->seccomp_len)
    put_tlv (b, HULL_TAG_SECCOMP, p->seccomp, p->seccomp_len);
  if (p->root_readonly)
    put_tlv_u8 (b, HULL_TAG_ROOT_READONLY, 1);
  for (i = 0; i < p->n_sysctl; i++)
    put_str (b, HULL_TAG_SYSCTL, p->sysctl[i]);
  for (i = 0; i < p->n_masked; i++)
    put_str (b, HULL_TAG_MASKED, p->masked[i]);
  for (i = 0; i < p->n_readonly; i++)
    put_str (b, HULL_TAG_READONLY, p->readonly[i]);
  if (p->has_oom_score_adj)
    put_tlv_u32 (b, HULL_TAG_OOM_SCORE_ADJ, (uint32_t) p->oom_score_adj);
  if (p->has_personality)
    put_tlv_u32 (b, HULL_TAG_PERSONALITY, p->personality);
  if (p->root_propagation)
    {
      struct hull_buf v = { 0 };
      hull_buf_put_u64 (&v, p->root_propagation);
      put_tlv (b, HULL_TAG_ROOT_PROPAGATION, v.data, v.len);
      b->oom |= v.oom;
      hull_buf_release (&v);
    }
  if (p->has_ioprio)
    put_tlv_u32 (b, HULL_TAG_IOPRIO, p->ioprio);
  if (p->has_sched)
    {
      struct hull_buf v = { 0 };
      hull_buf_put_u32 (&v, p->sched.policy);
      hull_buf_put_u64 (&v, p->sched.flags);
      hull_buf_put_u32 (&v, (uint32_t) p->sched.nice);
      hull_buf_put_u32 (&v, p->sched.priority);
      hull_buf_put_u64 (&v, p->sched.runtime);
      hull_buf_put_u64 (&v, p->sched.deadline);
      hull_buf_put_u64 (&v, p->sched.period);
      put_tlv (b, HULL_TAG_SCHED, v.data, v.len);
      b->oom |= v.oom;
      hull_buf_release (&v);
    }
  if (p->has_net)
    {
      struct hull_buf v = { 0 };
      hull_buf_put (&v, p->net.mac, 6);
      hull_buf_put_u32 (&v, p->net.mtu);
      hull_buf_put (&v, p->net.addr, 4);
      hull_buf_put (&v, &p->net.prefix, 1);
      hull_buf_put (&v, p->net.gateway, 4);
      put_tlv (b, HULL_TAG_NET, v.data, v.len);
      b->oom |= v.oom;
      hull_buf_release (&v);
    }
  if (b->len > HULL_PROTO_MAX_PAYLOAD)
    return -E2BIG;
  return b->oom ? -ENOMEM : 0;
}

/* Decoding. */

struct decode_ctx
{
  char *why;
  size_t why_len;
};

static int __attribute__ ((format (printf, 3, 4)))
fail (struct decode_ctx *c, int ret, const char *fmt, ...)
{
  if (c->why && c->why_len)
    {
      va_list ap;
      va_start (ap, fmt);
      vsnprintf (c->why, c->why_len, fmt, ap);
      va_end (ap);
    }
  return ret;
}

static char *
dup_str (const uint8_t *v, size_t len)
{
  char *s = malloc (len + 1);
  if (s)
    {
      memcpy (s, v, len);
      s[len] = 0;
    }
  return s;
}

/* Appends to a NULL-terminated string vector. */
static int
strv_push (char ***v, size_t *n, char *s)
{
  char **nv = realloc (*v, (*n + 2) * sizeof **v);
  if (nv == NULL)
    {
      free (s);
      return -ENOMEM;
    }
  nv[(*n)++] = s;
  nv[*n] = NULL;
  *v = nv;
  return 0;
}

static int
grow (void *pp, size_t n, size_t size)
{
  void **p = pp;
  void *np = realloc (*p, (n + 1) * size);
  if (np == NULL)
    return -ENOMEM;
  *p = np;
  return 0;
}

static int
decode_mount (struct decode_ctx *c, const uint8_t *v, size_t len, struct hull_mount *m)
{
  char **fields[4] = { &m->destination, &m->type, &m->source, &m->data };
  size_t off = 8;

  memset (m, 0, sizeof *m);
  if (len < 8 + 4)
    return fail (c, -EBADMSG, "mount entry truncated");
  m->flags = get_u64 (v);
  for (int k = 0; k < 4; k++)
    {
      const uint8_t *end = memchr (v + off, 0, len - off);
      if (end == NULL)
        return fail (c, -EBADMSG, "mount entry field %d not terminated", k);
      *fields[k] = dup_str (v + off, end - (v + off));
      if (*fields[k] == NULL)
        return -ENOMEM;
      off = end - v + 1;
    }
  if (off != len)
    return fail (c, -EBADMSG, "mount entry has trailing bytes");
  if (m->destination[0] != '/')
    return fail (c, -EBADMSG, "mount destination is not absolute");
  return 0;
}

static int
decode_tlv (struct decode_ctx *c, struct hull_process *p, uint16_t tag, const uint8_t *v, uint32_t len)
{
  bool is_string = tag == HULL_TAG_ARG || tag == HULL_TAG_ENV || tag == HULL_TAG_CWD || tag == HULL_TAG_HOSTNAME
                   || tag == HULL_TAG_SYSCTL || tag == HULL_TAG_MASKED || tag == HULL_TAG_READONLY;
  char *s;

  if (is_string)
    {
      if (len > HULL_CFG_MAX_STRING)
        return fail (c, -E2BIG, "string of tag %u too long (%u bytes)", tag, len);
      if (memchr (v, 0, len))
        return fail (c, -EBADMSG, "string of tag %u contains a NUL byte", tag);
    }
  switch (tag)
    {
    case HULL_TAG_ARG:
      if (p->n_args >= HULL_CFG_MAX_ARGS)
        return fail (c, -E2BIG, "too many args");
      if ((s = dup_str (v, len)) == NULL)
        return -ENOMEM;
      return strv_push (&p->args, &p->n_args, s);
    case HULL_TAG_ENV:
      if (p->n_env >= HULL_CFG_MAX_ENV)
        return fail (c, -E2BIG, "too many env entries");
      if (memchr (v, '=', len) == NULL)
        return fail (c, -EBADMSG, "env entry without '='");
      if ((s = dup_str (v, len)) == NULL)
        return -ENOMEM;
      return strv_push (&p->env, &p->n_env, s);
    case HULL_TAG_CWD:
    case HULL_TAG_HOSTNAME:
      {
        char **dst = tag == HULL_TAG_CWD ? &p->cwd : &p->hostname;
        if (*dst)
          return fail (c, -EBADMSG, "tag %u repeated", tag);
        if (tag == HULL_TAG_CWD && (len == 0 || v[0] != '/'))
          return fail (c, -EBADMSG, "cwd is not absolute");
        if ((*dst = dup_str (v, len)) == NULL)
          return -ENOMEM;
        return 0;
      }
    case HULL_TAG_UID:
    case HULL_TAG_GID:
    case HULL_TAG_UMASK:
    case HULL_TAG_AGID:
      if (len != 4)
        return fail (c, -EBADMSG, "tag %u: expected 4 bytes, got %u", tag, len);
      if (tag == HULL_TAG_UID)
        p->uid = get_u32 (v);
      else if (tag == HULL_TAG_GID)
        p->gid = get_u32 (v);
      else if (tag == HULL_TAG_UMASK)
        {
          p->has_umask = true;
          p->umask = get_u32 (v) & 07777;
        }
      else
        {
          if (p->n_agids >= HULL_CFG_MAX_GROUPS)
            return fail (c, -E2BIG, "too many additional gids");
          if (grow (&p->agids, p->n_agids, sizeof *p->agids) < 0)
            return -ENOMEM;
          p->agids[p->n_agids++] = get_u32 (v);
        }
      return 0;
    case HULL_TAG_RLIMIT:
      if (len != 20)
        return fail (c, -EBADMSG, "rlimit: expected 20 bytes, got %u", len);
      if (p->n_rlimits >= HULL_CFG_MAX_RLIMITS)
        return fail (c, -E2BIG, "too many rlimits");
      if (grow (&p->rlimits, p->n_rlimits, sizeof *p->rlimits) < 0)
        return -ENOMEM;
      p->rlimits[p->n_rlimits].resource = get_u32 (v);
      p->rlimits[p->n_rlimits].soft = get_u64 (v + 4);
      p->rlimits[p->n_rlimits].hard = get_u64 (v + 12);
      p->n_rlimits++;
      return 0;
    case HULL_TAG_TERMINAL:
    case HULL_TAG_NO_NEW_PRIVS:
    case HULL_TAG_ROOT_READONLY:
      if (len != 1 || v[0] > 1)
        return fail (c, -EBADMSG, "tag %u: expected one byte 0 or 1", tag);
      *(tag == HULL_TAG_TERMINAL ? &p->terminal : tag == HULL_TAG_NO_NEW_PRIVS ? &p->no_new_privs : &p->root_readonly)
          = v[0];
      return 0;
    case HULL_TAG_CONSOLE_SIZE:
      if (len != 4)
        return fail (c, -EBADMSG, "console size: expected 4 bytes");
      p->console_size.rows = get_u16 (v);
      p->console_size.cols = get_u16 (v + 2);
      return 0;
    case HULL_TAG_CAPS:
      if (len != 8 * HULL_CAP__N)
        return fail (c, -EBADMSG, "caps: expected %d bytes, got %u", 8 * HULL_CAP__N, len);
      p->has_caps = true;
      for (int i = 0; i < HULL_CAP__N; i++)
        p->caps[i] = get_u64 (v + 8 * i);
      return 0;
    case HULL_TAG_MOUNT:
      if (p->n_mounts >= HULL_CFG_MAX_MOUNTS)
        return fail (c, -E2BIG, "too many mounts");
      if (grow (&p->mounts, p->n_mounts, sizeof *p->mounts) < 0)
        return -ENOMEM;
      {
        int ret = decode_mount (c, v, len, &p->mounts[p->n_mounts]);
        p->n_mounts++;   /* counted even when partial, so release frees it */
        return ret;
      }
    case HULL_TAG_SECCOMP:
      if (p->seccomp)
        return fail (c, -EBADMSG, "seccomp repeated");
      if (len == 0 || len % 8 || len / 8 > HULL_CFG_MAX_SECCOMP_INSNS)
        return fail (c, -EBADMSG, "seccomp program of %u bytes", len);
      if ((p->seccomp = malloc (len)) == NULL)
        return -ENOMEM;
      memcpy (p->seccomp, v, len);
      p->seccomp_len = len;
      return 0;
    case HULL_TAG_SYSCTL:
    case HULL_TAG_MASKED:
    case HULL_TAG_READONLY:
      {
        char ***v_ = tag == HULL_TAG_SYSCTL ? &p->sysctl : tag == HULL_TAG_MASKED ? &p->masked : &p->readonly;
        size_t *n_ = tag == HULL_TAG_SYSCTL ? &p->n_sysctl : tag == HULL_TAG_MASKED ? &p->n_masked : &p->n_readonly;
        if (*n_ >= HULL_CFG_MAX_PATHS)
          return fail (c, -E2BIG, "too many entries of tag %u", tag);
        if (tag == HULL_TAG_SYSCTL)
          {
            const uint8_t *eq = memchr (v, '=', len);
            /* No way out of /proc/sys: no "..", no leading slash. */
            if (eq == NULL || eq == v || v[0] == '/' || v[0] == '.')
              return fail (c, -EBADMSG, "malformed sysctl entry");
            for (const uint8_t *q = v; q + 1 < eq; q++)
              if (q[0] == '.' && q[1] == '.')
                return fail (c, -EBADMSG, "malformed sysctl entry");
          }
        else if (len == 0 || v[0] != '/')
          return fail (c, -EBADMSG, "path of tag %u is not absolute", tag);
        if ((s = dup_str (v, len)) == NULL)
          return -ENOMEM;
        return strv_push (v_, n_, s);
      }
    case HULL_TAG_OOM_SCORE_ADJ:
      {
        if (len != 4)
          return fail (c, -EBADMSG, "oom_score_adj: expected 4 bytes");
        int32_t adj = (int32_t) get_u32 (v);
        if (adj < -1000 || adj > 1000)
          return fail (c, -EBADMSG, "oom_score_adj %d out of range", adj);
        p->has_oom_score_adj = true;
        p->oom_score_adj = adj;
        return 0;
      }
    case HULL_TAG_NET:
      if (len != HULL_NET_SIZE)
        return fail (c, -EBADMSG, "net: expected %u bytes, got %u", HULL_NET_SIZE, len);
      if (p->has_net)
        return fail (c, -EBADMSG, "net repeated");
      memcpy (p->net.mac, v, 6);
      p->net.mtu = get_u32 (v + 6);
      memcpy (p->net.addr, v + 10, 4);
      p->net.prefix = v[14];
      memcpy (p->net.gateway, v + 15, 4);
      if (p->net.prefix > 32 || p->net.mtu < 68 || p->net.mtu > 65535)
        return fail (c, -EBADMSG, "net: prefix /%u or mtu %u out of range", p->net.prefix, p->net.mtu);
      p->has_net = true;
      return 0;
    case HULL_TAG_PERSONALITY:
    case HULL_TAG_IOPRIO:
      if (len != 4)
        return fail (c, -EBADMSG, "tag %u: expected 4 bytes", tag);
      if (tag == HULL_TAG_PERSONALITY)
        p->has_personality = true, p->personality = get_u32 (v);
      else
        p->has_ioprio = true, p->ioprio = get_u32 (v);
      return 0;
    case HULL_TAG_ROOT_PROPAGATION:
      {
        if (len != 8)
          return fail (c, -EBADMSG, "root propagation: expected 8 bytes");
        uint64_t f = get_u64 (v), type = f & ~(uint64_t) MS_REC;
        if (type != MS_SHARED && type != MS_SLAVE && type != MS_PRIVATE && type != MS_UNBINDABLE)
          return fail (c, -EBADMSG, "root propagation %#llx: not one propagation type", (unsigned long long) f);
        p->root_propagation = f;
        return 0;
      }
    case HULL_TAG_SCHED:
      if (len != HULL_SCHED_SIZE)
        return fail (c, -EBADMSG, "sched: expected %u bytes, got %u", HULL_SCHED_SIZE, len);
      p->sched = (struct hull_sched) { get_u32 (v), get_u64 (v + 4), (int32_t) get_u32 (v + 12), get_u32 (v + 16),
                                       get_u64 (v + 20), get_u64 (v + 28), get_u64 (v + 36) };
      if (p->sched.policy > 6 || p->sched.nice < -20 || p->sched.nice > 19)
        return fail (c, -EBADMSG, "sched: policy %u or nice %d out of range", p->sched.policy, p->sched.nice);
      p->has_sched = true;
      return 0;
    default:
      return 0;   /* optional field of a newer host */
    }
}

int
hull_process_decode (const uint8_t *data, size_t len, struct hull_process *p, char *why, size_t why_len)
{
  struct decode_ctx c = { why, why_len };
  size_t off = 0;
  int ret = 0;

  memset (p, 0, sizeof *p);
  if (why && why_len)
    why[0] = 0;
  if (len > HULL_PROTO_MAX_PAYLOAD)
    return fail (&c, -E2BIG, "process description of %zu bytes", len);
  while (off < len)
    {
      if (len - off < 6)
        {
          ret = fail (&c, -EBADMSG, "truncated field header at offset %zu", off);
          break;
        }
      uint16_t tag = get_u16 (data + off);
      uint32_t vlen = get_u32 (data + off + 2);
      off += 6;
      if (vlen > len - off)
        {
          ret = fail (&c, -EBADMSG, "field %u of %u bytes overruns the message", tag, vlen);
          break;
        }
      ret = decode_tlv (&c, p, tag, data + off, vlen);
      if (ret < 0)
        break;
      off += vlen;
    }
  if (ret == 0 && p->n_args == 0)
    ret = fail (&c, -EBADMSG, "no process args");
  if (ret == -ENOMEM)
    fail (&c, ret, "out of memory");
  if (ret < 0)
    hull_process_release (p);
  return ret;
}

void
hull_process_release (struct hull_process *p)
{
  size_t i;
  for (i = 0; i < p->n_args; i++)
    free (p->args[i]);
  free (p->args);
  for (i = 0; i < p->n_env; i++)
    free (p->env[i]);
  free (p->env);
  free (p->cwd);
  free (p->hostname);
  free (p->agids);
  free (p->rlimits);
  for (i = 0; i < p->n_mounts; i++)
    {
      free (p->mounts[i].destination);
      free (p->mounts[i].type);
      free (p->mounts[i].source);
      free (p->mounts[i].data);
    }
  free (p->mounts);
  free (p->seccomp);
  for (i = 0; i < p->n_sysctl; i++)
    free (p->sysctl[i]);
  free (p->sysctl);
  for (i = 0; i < p->n_masked; i++)
    free (p->masked[i]);
  free (p->masked);
  for (i = 0; i < p->n_readonly; i++)
    free (p->readonly[i]);
  free (p->readonly);
  memset (p, 0, sizeof *p);
}
