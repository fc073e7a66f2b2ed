/* Entry points of the test guest.
 *
 *   _start      64-bit boot protocol: long mode, paging on (identity map set
 *               up by the VMM), rsi = zero page.
 *   pvh_start   PVH (XEN_ELFNOTE_PHYS32_ENTRY): 32-bit protected mode, paging
 *               off, ebx = hvm_start_info.  Builds its own identity map of
 *               the first 4 GiB and enters long mode.
 *   ap_trampoline..ap_trampoline_end  real-mode code copied to 0x10000 and
 *               started by INIT/SIPI on secondary CPUs (see smp.c).
 */
#define MSR_EFER 0xc0000080
#define STACK_SIZE 16384

	.section .text.entry, "ax"
	.code64
	.globl _start
_start:
	cli
	cld
	leaq boot_stack_top(%rip), %rsp
	movq %rsi, %rdi
	xorl %esi, %esi               /* 0: booted through the zero page */
	call tg_main
1:	hlt
	jmp 1b

	.code32
	.globl pvh_start
pvh_start:
	cli
	cld
	movl $boot_stack_top, %esp
	movl %ebx, %esi               /* keep hvm_start_info */

	/* PML4[0] -> PDPT, PDPT[0..3] -> PD pages, PD: 2048 2-MiB pages. */
	movl $pvh_pdpt, %eax
	orl $3, %eax
	movl %eax, pvh_pml4
	xorl %ecx, %ecx
2:	movl %ecx, %eax
	shll $12, %eax
	addl $pvh_pd, %eax
	orl $3, %eax
	movl %eax, pvh_pdpt(,%ecx,8)
	incl %ecx
	cmpl $4, %ecx
	jne 2b
	xorl %ecx, %ecx
3:	movl %ecx, %eax
	shll $21, %eax
	orl $0x83, %eax
	movl %eax, pvh_pd(,%ecx,8)
	movl %ecx, %eax
	shrl $11, %eax                /* high half: (i << 21) >> 32 */
	movl %eax, pvh_pd+4(,%ecx,8)
	incl %ecx
	cmpl $2048, %ecx
	jne 3b

	lgdt pvh_gdt_desc
	movl %cr4, %eax
	orl $0x20, %eax               /* PAE */
	movl %eax, %cr4
	movl $pvh_pml4, %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $0x100, %eax              /* LME */
	wrmsr
	movl %cr0, %eax
	orl $0x80000001, %eax         /* PG | PE */
	movl %eax, %cr0
	ljmp $0x08, $pvh_long

	.code64
pvh_long:
	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %eax, %fs
	movl %eax, %gs
	leaq boot_stack_top(%rip), %rsp
	movl %esi, %edi
	movl $1, %esi                 /* 1: booted through PVH */
	call tg_main
4:	hlt
	jmp 4b

/* ---- secondary CPUs.  Copied to TRAMPOLINE_BASE (0x10000) and entered in
   real mode at CS:IP = 0x1000:0000.  Reuses the VMM's page tables at
   0x9000 (the guest never touches that page), or the PVH ones when booted
   by PVH: the C side patches ap_cr3 before sending the SIPI. */
#define TRAMPOLINE_BASE 0x10000
#define T(x) (x - ap_trampoline)
#define TA(x) (TRAMPOLINE_BASE + x - ap_trampoline)

	.code16
	.globl ap_trampoline, ap_trampoline_end, ap_cr3, ap_entry64
	.balign 16
ap_trampoline:
	cli
	movw %cs, %ax
	movw %ax, %ds
	lgdtl T(ap_gdt_desc)
	movl %cr0, %eax
	orl $1, %eax
	movl %eax, %cr0
	ljmpl $0x18, $TA(ap_pm32)

	.code32
ap_pm32:
	movl $0x20, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %cr4, %eax
	orl $0x20, %eax
	movl %eax, %cr4
	movl TA(ap_cr3), %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $0x100, %eax
	wrmsr
	movl %cr0, %eax
	orl $0x80000000, %eax
	movl %eax, %cr0
	ljmp $0x08, $TA(ap_lm64)

	.code64
ap_lm64:
	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movq TA(ap_entry64), %rax
	jmp *%rax

	.balign 8
ap_cr3:	.quad 0x9000
ap_entry64: .quad 0
ap_gdt:
	.quad 0
	.quad 0x00af9b000000ffff      /* 0x08: 64-bit code */
	.quad 0x00cf93000000ffff      /* 0x10: data */
	.quad 0x00cf9b000000ffff      /* 0x18: 32-bit code */
	.quad 0x00cf93000000ffff      /* 0x20: 32-bit data */
ap_gdt_desc:
	.word ap_gdt_desc - ap_gdt - 1
	.long TA(ap_gdt)
ap_trampoline_end:

	.section .rodata
	.balign 8
pvh_gdt:
	.quad 0
	.quad 0x00af9b000000ffff      /* 0x08: 64-bit code */
	.quad 0x00cf93000000ffff      /* 0x10: data */
pvh_gdt_desc:
	.word pvh_gdt_desc - pvh_gdt - 1
	.long pvh_gdt

	.section .note.Xen, "a"
	.balign 4
	.long 4                       /* name size ("Xen\0") */
	.long 4                       /* desc size */
	.long 18                      /* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.long pvh_start

	.section .bss
	.balign 4096
pvh_pml4: .skip 4096
pvh_pdpt: .skip 4096
pvh_pd:   .skip 4096 * 4
	.globl pvh_pml4
	.balign 16
	.skip STACK_SIZE
boot_stack_top:

/* #BP handler for the int3 scenario: count and return past the int3. */
	.text
	.code64
	.globl tg_int3_handler, tg_int3_count
tg_int3_handler:
	lock incl tg_int3_count(%rip)
	iretq

	.data
	.balign 4
tg_int3_count: .long 0
