/* cgroup v2 has no devices files: device access is decided by a
   BPF_PROG_TYPE_CGROUP_DEVICE program attached to the cgroup.  The program
   is written here instruction by instruction (the idea of crun's ebpf.c):
   one block per rule, newest rule first, so the last matching rule of the
   spec decides; nothing matching means deny. */
#include "cgroups/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/util.h"

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define LDX_W(dst, src, off) INSN (BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
#define ALU32_IMM(op, dst, imm) INSN (BPF_ALU | (op) | BPF_K, dst, 0, 0, imm)
#define MOV32_REG(dst, src) INSN (BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV64_IMM(dst, imm) INSN (BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define JNE_IMM(dst, imm, off) INSN (BPF_JMP | BPF_JNE | BPF_K, dst, 0, off, imm)
#define EXIT_INSN() INSN (BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* r2 = device type, r3 = requested access, r4 = major, r5 = minor */
static const struct bpf_insn prologue[] = {
  LDX_W (BPF_REG_2, BPF_REG_1, offsetof (struct bpf_cgroup_dev_ctx, access_type)),
  ALU32_IMM (BPF_AND, BPF_REG_2, 0xffff),
  LDX_W (BPF_REG_3, BPF_REG_1, offsetof (struct bpf_cgroup_dev_ctx, access_type)),
  ALU32_IMM (BPF_RSH, BPF_REG_3, 16),
  LDX_W (BPF_REG_4, BPF_REG_1, offsetof (struct bpf_cgroup_dev_ctx, major)),
  LDX_W (BPF_REG_5, BPF_REG_1, offsetof (struct bpf_cgroup_dev_ctx, minor)),
};

static unsigned
bpf_access (unsigned access)
{
  return ((access & CG_DEV_M) ? BPF_DEVCG_ACC_MKNOD : 0) | ((access & CG_DEV_R) ? BPF_DEVCG_ACC_READ : 0)
         | ((access & CG_DEV_W) ? BPF_DEVCG_ACC_WRITE : 0);
}

struct bpf_insn *
cg_devices_ebpf_program (const struct cg_device_rule *r, size_t n, size_t *len)
{
  /* at most 8 instructions per rule */
  struct bpf_insn *p = xcalloc (ARRAY_SIZE (prologue) + 8 * n + 2, sizeof *p);
  const unsigned all = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;
  size_t k = 0;
  bool unconditional = false;

  memcpy (p, prologue, sizeof prologue);
  k = ARRAY_SIZE (prologue);
  for (size_t i = n; i-- > 0 && !unconditional;)
    {
      struct bpf_insn block[8];
      size_t b = 0, jumps[4], nj = 0;
      unsigned acc = bpf_access (r[i].access);

      if (acc == 0)
        continue;
      if (r[i].type != 'a')
        {
          jumps[nj++] = b;
          block[b++] = JNE_IMM (BPF_REG_2, r[i].type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, 0);
        }
      if (acc != all)
        {
          /* every requested bit must be in the rule's access */
          block[b++] = MOV32_REG (BPF_REG_1, BPF_REG_3);
          block[b++] = ALU32_IMM (BPF_AND, BPF_REG_1, (int32_t) ~acc);
          jumps[nj++] = b;
          block[b++] = JNE_IMM (BPF_REG_1, 0, 0);
        }
      if (r[i].major >= 0)
        {
          jumps[nj++] = b;
          block[b++] = JNE_IMM (BPF_REG_4, (int32_t) r[i].major, 0);
        }
      if (r[i].minor >= 0)
        {
          jumps[nj++] = b;
          block[b++] = JNE_IMM (BPF_REG_5, (int32_t) r[i].minor, 0);
        }
      block[b++] = MOV64_IMM (BPF_REG_0, r[i].allow ? 1 : 0);
      block[b++] = EXIT_INSN ();
      /* a failed test skips to the next block */
      for (size_t j = 0; j < nj; j++)
        block[jumps[j]].off = (int16_t) (b - jumps[j] - 1);
      unconditional = nj == 0;
      memcpy (p + k, block, b * sizeof *block);
      k += b;
    }
  /* Code after an unconditional block would be unreachable, which the
     verifier refuses. */
  if (!unconditional)
    {
      p[k++] = MOV64_IMM (BPF_REG_0, 0);
      p[k++] = EXIT_INSN ();
    }
  *len = k;
  return p;
}

static int
sys_bpf (int cmd, union bpf_attr *attr)
{
  return (int) syscall (SYS_bpf, cmd, attr, sizeof *attr);
}

/* Detach the device programs attached before `keep` (an earlier create or
   update of the same cgroup). */
static void
detach_others (int cgroup_fd, int keep_fd)
{
  uint32_t ids[64];
  union bpf_attr q;
  struct bpf_prog_info keep_info;
  union bpf_attr info;

  memset (&keep_info, 0, sizeof keep_info);
  memset (&info, 0, sizeof info);
  info.info.bpf_fd = (uint32_t) keep_fd;
  info.info.info_len = sizeof keep_info;
  info.info.info = (uint64_t) (uintptr_t) &keep_info;
  if (sys_bpf (BPF_OBJ_GET_INFO_BY_FD, &info) < 0)
    return;

  memset (&q, 0, sizeof q);
  q.query.target_fd = (uint32_t) cgroup_fd;
  q.query.attach_type = BPF_CGROUP_DEVICE;
  q.query.prog_ids = (uint64_t) (uintptr_t) ids;
  q.query.prog_cnt = ARRAY_SIZE (ids);
  if (sys_bpf (BPF_PROG_QUERY, &q) < 0)
    return;
  for (uint32_t i = 0; i < q.query.prog_cnt; i++)
    {
      union bpf_attr get, det;
      cleanup_close int fd = -1;
      if (ids[i] == keep_info.id)
        continue;
      memset (&get, 0, sizeof get);
      get.prog_id = ids[i];
      fd = sys_bpf (BPF_PROG_GET_FD_BY_ID, &get);
      if (fd < 0)
        continue;
      memset (&det, 0, sizeof det);
      det.target_fd = (uint32_t) cgroup_fd;
      det.attach_bpf_fd = (uint32_t) fd;
      det.attach_type = BPF_CGROUP_DEVICE;
      sys_bpf (BPF_PROG_DETACH, &det);
    }
}

int
cg_devices_ebpf_attach (const char *dir, const struct cg_device_rule *r, size_t n, hull_err *err)
{
  size_t len = 0;
  cleanup_free struct bpf_insn *prog = cg_devices_ebpf_program (r, n, &len);
  cleanup_free char *log = xcalloc (1, 65536);
  cleanup_close int cgroup_fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  cleanup_close int prog_fd = -1;
  union bpf_attr attr;

  if (cgroup_fd < 0)
    return hull_error (err, errno, "cgroup: open `%s`", dir);
  memset (&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uint64_t) (uintptr_t) prog;
  attr.insn_cnt = (uint32_t) len;
  attr.license = (uint64_t) (uintptr_t) "GPL";
  attr.log_buf = (uint64_t) (uintptr_t) log;
  attr.log_size = 65536;
  attr.log_level = 1;
  prog_fd = sys_bpf (BPF_PROG_LOAD, &attr);
  if (prog_fd < 0)
    {
      /* retry without a log: a full log buffer fails the load with ENOSPC */
      int saved = errno;
      attr.log_buf = 0;
      attr.log_size = 0;
      attr.log_level = 0;
      prog_fd = sys_bpf (BPF_PROG_LOAD, &attr);
      if (prog_fd < 0)
        {
          char *nl = strchr (log, '\n');
          if (nl)
            *nl = '\0';
          return hull_error (err, saved, "load the device eBPF program (%zu instructions)%s%s", len, *log ? ": " : "",
                             log);
        }
    }
  memset (&attr, 0, sizeof attr);
  attr.target_fd = (uint32_t) cgroup_fd;
  attr.attach_bpf_fd = (uint32_t) prog_fd;
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (sys_bpf (BPF_PROG_ATTACH, &attr) < 0)
    return hull_error (err, errno, "attach the device eBPF program to `%s`", dir);
  detach_others (cgroup_fd, prog_fd);
  return 0;
}
