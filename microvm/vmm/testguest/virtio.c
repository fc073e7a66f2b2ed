/* The test guest's virtio-mmio front end.  See virtio.h. */
#include "tg.h"
#include "virtio.h"

#define REG_MAGIC 0x000
#define REG_VERSION 0x004
#define REG_DEVICE_ID 0x008
#define REG_DEVICE_FEATURES 0x010
#define REG_DEVICE_FEATURES_SEL 0x014
#define REG_DRIVER_FEATURES 0x020
#define REG_DRIVER_FEATURES_SEL 0x024
#define REG_QUEUE_SEL 0x030
#define REG_QUEUE_NUM_MAX 0x034
#define REG_QUEUE_NUM 0x038
#define REG_QUEUE_READY 0x044
#define REG_QUEUE_NOTIFY 0x050
#define REG_INTERRUPT_STATUS 0x060
#define REG_INTERRUPT_ACK 0x064
#define REG_STATUS 0x070
#define REG_QUEUE_DESC_LOW 0x080
#define REG_QUEUE_DESC_HIGH 0x084
#define REG_QUEUE_AVAIL_LOW 0x090
#define REG_QUEUE_AVAIL_HIGH 0x094
#define REG_QUEUE_USED_LOW 0x0a0
#define REG_QUEUE_USED_HIGH 0x0a4
#define REG_CONFIG 0x100

#define S_ACKNOWLEDGE 1
#define S_DRIVER 2
#define S_DRIVER_OK 4
#define S_FEATURES_OK 8

#define F_VERSION_1 32

/* One page per queue: descriptors at 0, available ring at 0x400, used
   ring at 0x800 (aligned as the spec asks). */
#define MAX_QUEUES 24
static uint8_t ring_pages[MAX_QUEUES][4096] __attribute__ ((aligned (4096)));
static unsigned ring_pages_used;

static inline void
barrier (void)
{
  __asm__ volatile ("mfence" ::: "memory");
}

static inline uint64_t
rdtsc (void)
{
  uint32_t lo, hi;
  __asm__ volatile ("rdtsc" : "=a"(lo), "=d"(hi));
  return ((uint64_t) hi << 32) | lo;
}

static uint32_t
rd (const struct vdev *d, unsigned off)
{
  return mmio_read32 (d->base + off);
}

static void
wr (const struct vdev *d, unsigned off, uint32_t v)
{
  mmio_write32 (d->base + off, v);
}

static int
hexval (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

int
vdev_find (uint32_t device_id, int nth, struct vdev *d)
{
  static const char key[] = "virtio_mmio.device=";
  const char *p = tg_cmdline ();

  while (*p)
    {
      uint64_t base = 0;
      uint32_t irq = 0;

      if (tg_strncmp (p, key, sizeof key - 1) != 0)
        {
          p++;
          continue;
        }
      p += sizeof key - 1;
      while (*p && *p != '@')   /* the size, 4K */
        p++;
      if (p[0] != '@' || p[1] != '0' || p[2] != 'x')
        continue;
      for (p += 3; hexval (*p) >= 0; p++)
        base = base * 16 + (uint64_t) hexval (*p);
      if (*p == ':')
        for (p++; *p >= '0' && *p <= '9'; p++)
          irq = irq * 10 + (uint32_t) (*p - '0');
      if (mmio_read32 (base + REG_MAGIC) != 0x74726976 || mmio_read32 (base + REG_VERSION) != 2
          || mmio_read32 (base + REG_DEVICE_ID) != device_id)
        continue;
      if (nth-- > 0)
        continue;
      d->base = base;
      d->irq = irq;
      d->features = 0;
      return 1;
    }
  return 0;
}

int
vdev_init (struct vdev *d, uint64_t wanted)
{
  uint64_t offered;

  wr (d, REG_STATUS, 0);
  wr (d, REG_STATUS, S_ACKNOWLEDGE);
  wr (d, REG_STATUS, S_ACKNOWLEDGE | S_DRIVER);
  wr (d, REG_DEVICE_FEATURES_SEL, 0);
  offered = rd (d, REG_DEVICE_FEATURES);
  wr (d, REG_DEVICE_FEATURES_SEL, 1);
  offered |= (uint64_t) rd (d, REG_DEVICE_FEATURES) << 32;
  d->features = (offered & wanted) | (1ULL << F_VERSION_1);
  wr (d, REG_DRIVER_FEATURES_SEL, 0);
  wr (d, REG_DRIVER_FEATURES, (uint32_t) d->features);
  wr (d, REG_DRIVER_FEATURES_SEL, 1);
  wr (d, REG_DRIVER_FEATURES, (uint32_t) (d->features >> 32));
  wr (d, REG_STATUS, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK);
  return (rd (d, REG_STATUS) & S_FEATURES_OK) != 0;
}

int
vdev_has (const struct vdev *d, unsigned bit)
{
  return (d->features >> bit) & 1;
}

int
vq_setup (struct vdev *d, struct vq *q, unsigned index)
{
  uint8_t *page;
  uint64_t a;

  if (ring_pages_used >= MAX_QUEUES)
    return 0;
  wr (d, REG_QUEUE_SEL, index);
  if (rd (d, REG_QUEUE_READY) != 0 || rd (d, REG_QUEUE_NUM_MAX) < VQ_SIZE)
    return 0;
  page = ring_pages[ring_pages_used++];
  memset (page, 0, 4096);
  q->dev = d;
  q->index = index;
  q->desc = (volatile struct vq_desc *) page;
  q->avail = (volatile uint16_t *) (page + 0x400);
  q->used = (volatile uint16_t *) (page + 0x800);
  q->next_desc = q->avail_idx = q->used_seen = 0;
  wr (d, REG_QUEUE_NUM, VQ_SIZE);
  a = (uint64_t) (uintptr_t) q->desc;
  wr (d, REG_QUEUE_DESC_LOW, (uint32_t) a);
  wr (d, REG_QUEUE_DESC_HIGH, (uint32_t) (a >> 32));
  a = (uint64_t) (uintptr_t) q->avail;
  wr (d, REG_QUEUE_AVAIL_LOW, (uint32_t) a);
  wr (d, REG_QUEUE_AVAIL_HIGH, (uint32_t) (a >> 32));
  a = (uint64_t) (uintptr_t) q->used;
  wr (d, REG_QUEUE_USED_LOW, (uint32_t) a);
  wr (d, REG_QUEUE_USED_HIGH, (uint32_t) (a >> 32));
  wr (d, REG_QUEUE_READY, 1);
  return rd (d, REG_QUEUE_READY) == 1;
}

void
vdev_driver_ok (struct vdev *d)
{
  wr (d, REG_STATUS, rd (d, REG_STATUS) | S_DRIVER_OK);
}

uint32_t
vdev_status (struct vdev *d)
{
  return rd (d, REG_STATUS);
}

uint8_t
vdev_config8 (struct vdev *d, unsigned off)
{
  return *(volatile uint8_t *) (d->base + REG_CONFIG + off);
}

uint32_t
vdev_config32 (struct vdev *d, unsigned off)
{
  return rd (d, REG_CONFIG + off);
}

uint16_t
vq_add (struct vq *q, const struct vseg *segs, unsigned n)
{
  uint16_t head = q->next_desc;
  unsigned k;

  for (k = 0; k < n; k++)
    {
      uint16_t i = (uint16_t) ((head + k) % VQ_SIZE);
      q->desc[i].addr = (uint64_t) (uintptr_t) segs[k].addr;
      q->desc[i].len = segs[k].len;
      q->desc[i].flags = (uint16_t) ((segs[k].writable ? VQ_DESC_F_WRITE : 0) | (k + 1 < n ? VQ_DESC_F_NEXT : 0));
      q->desc[i].next = (uint16_t) ((i + 1) % VQ_SIZE);
    }
  q->next_desc = (uint16_t) ((head + n) % VQ_SIZE);
  vq_publish (q, head);
  return head;
}

void
vq_publish (struct vq *q, uint16_t head)
{
  q->avail[2 + q->avail_idx % VQ_SIZE] = head;
  barrier ();
  q->avail_idx++;
  q->avail[1] = q->avail_idx;
  barrier ();
}

void
vq_kick (struct vq *q)
{
  wr (q->dev, REG_QUEUE_NOTIFY, q->index);
}

uint16_t
vq_submit (struct vq *q, const struct vseg *segs, unsigned n)
{
  uint16_t head = vq_add (q, segs, n);
  vq_kick (q);
  return head;
}

int
vq_poll (struct vq *q, uint32_t *id, uint32_t *len)
{
  volatile struct vq_used_elem *e;

  barrier ();
  if (q->used[1] == q->used_seen)
    return 0;
  barrier ();
  e = (volatile struct vq_used_elem *) (q->used + 2) + q->used_seen % VQ_SIZE;
  *id = e->id;
  *len = e->len;
  q->used_seen++;
  return 1;
}

int
vq_wait (struct vq *q, uint32_t *id, uint32_t *len, unsigned seconds)
{
  /* The TSC runs at a few GHz; 3e9 ticks per second errs on the long side. */
  uint64_t end = rdtsc () + (uint64_t) seconds * 3000000000ULL;

  while (!vq_poll (q, id, len))
    {
      if (rdtsc () > end)
        return 0;
      cpu_relax ();
    }
  return 1;
}

uint64_t
vq_desc_addr (struct vq *q, uint32_t id)
{
  return id < VQ_SIZE ? q->desc[id].addr : 0;
}

/* ---- interrupts */

#define IRQ_VECTOR 0x40
#define SPURIOUS_VECTOR 0xff
#define LAPIC_BASE 0xfee00000ULL
#define LAPIC_SVR 0xf0
#define LAPIC_TPR 0x80
#define IOAPIC_BASE 0xfec00000ULL

volatile unsigned tg_virtio_irq_count;

/* The device interrupt counts and ends with an EOI to the local APIC; the
   spurious vector needs no EOI. */
__asm__ (".text\n"
         ".globl tg_virtio_irq_entry, tg_spurious_entry\n"
         "tg_virtio_irq_entry:\n"
         "  push %rax\n"
         "  lock incl tg_virtio_irq_count(%rip)\n"
         "  mov $0xfee000b0, %eax\n"
         "  movl $0, (%rax)\n"
         "  pop %rax\n"
         "  iretq\n"
         "tg_spurious_entry:\n"
         "  iretq\n");
extern char tg_virtio_irq_entry[], tg_spurious_entry[];

static uint64_t idt[2 * 256] __attribute__ ((aligned (16)));

static void
set_gate (unsigned vector, void *handler)
{
  uint64_t h = (uint64_t) (uintptr_t) handler;
  uint16_t cs;

  __asm__ volatile ("mov %%cs, %0" : "=r"(cs));
  /* 64-bit interrupt gate, present, DPL 0. */
  idt[2 * vector] = (h & 0xffff) | ((uint64_t) cs << 16) | (0x8eull << 40) | ((h >> 16 & 0xffff) << 48);
  idt[2 * vector + 1] = h >> 32;
}

static void
ioapic_write (uint32_t reg, uint32_t v)
{
  mmio_write32 (IOAPIC_BASE, reg);
  mmio_write32 (IOAPIC_BASE + 0x10, v);
}

void
vdev_irq_setup (struct vdev *d)
{
  struct __attribute__ ((packed))
  {
    uint16_t limit;
    uint64_t base;
  } idtr = { sizeof idt - 1, (uint64_t) (uintptr_t) idt };

  set_gate (IRQ_VECTOR, tg_virtio_irq_entry);
  set_gate (SPURIOUS_VECTOR, tg_spurious_entry);
  __asm__ volatile ("lidt %0" : : "m"(idtr));
  /* Only the IOAPIC may interrupt: KVM resets the BSP's LINT0 to ExtINT
     (the 8259's virtual wire), so the PIC and the other LVT entries are
     masked first. */
  outb (0x21, 0xff);
  outb (0xa1, 0xff);
  mmio_write32 (LAPIC_BASE + 0x320, 1u << 16);   /* timer */
  mmio_write32 (LAPIC_BASE + 0x350, 1u << 16);   /* LINT0 */
  mmio_write32 (LAPIC_BASE + 0x360, 1u << 16);   /* LINT1 */
  mmio_write32 (LAPIC_BASE + 0x370, 1u << 16);   /* error */
  mmio_write32 (LAPIC_BASE + LAPIC_TPR, 0);
  mmio_write32 (LAPIC_BASE + LAPIC_SVR, 0x100 | SPURIOUS_VECTOR);
  /* Redirection entry for the pin: fixed delivery, physical destination
     APIC 0, edge, active high, unmasked. */
  ioapic_write (0x10 + 2 * d->irq + 1, 0);
  ioapic_write (0x10 + 2 * d->irq, IRQ_VECTOR);
  __asm__ volatile ("sti" ::: "memory");
}

unsigned
vdev_irq_count (void)
{
  return tg_virtio_irq_count;
}

int
vdev_irq_wait (unsigned seen, unsigned seconds)
{
  uint64_t end = rdtsc () + (uint64_t) seconds * 3000000000ULL;

  while (tg_virtio_irq_count == seen)
    {
      if (rdtsc () > end)
        return 0;
      cpu_relax ();
    }
  return 1;
}

uint32_t
vdev_irq_ack (struct vdev *d)
{
  uint32_t s = rd (d, REG_INTERRUPT_STATUS);
  wr (d, REG_INTERRUPT_ACK, s);
  return s;
}
