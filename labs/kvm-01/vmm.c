// SPDX-License-Identifier: GPL-2.0
/*
 * vmm.c - a minimal virtual machine monitor on /dev/kvm (lab kvm-01).
 *
 *	vmm GUEST.bin
 *
 * loads a real-mode guest program at guest physical address 0x1000, runs it
 * on one vCPU, copies what the guest writes to port 0x3f8 to stdout, and exits
 * when the guest halts (status 0) or writes a byte to port 0x501 (that byte is
 * the exit status). README.md has the task; `klab hint kvm-01` helps.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define MEM_SIZE	0x100000	/* 1 MiB of guest memory at guest physical 0 */
#define LOAD_ADDR	0x1000		/* where the program is loaded and starts */
#define SERIAL_PORT	0x3f8		/* bytes written here go to stdout */
#define EXIT_PORT	0x501		/* a byte written here is the exit status */

/* Reports a failed system call and exits with status 2. */
static void die(const char *what)
{
	fprintf(stderr, "vmm: %s: %s\n", what, strerror(errno));
	exit(2);
}

int main(int argc, char **argv)
{
	int kvm;

	if (argc != 2) {
		fprintf(stderr, "usage: vmm GUEST.bin\n");
		return 2;
	}

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		die("/dev/kvm");

	/*
	 * TODO 1: check that ioctl(kvm, KVM_GET_API_VERSION, 0) is
	 * KVM_API_VERSION (12), and create a VM with KVM_CREATE_VM: it returns
	 * a new fd, the VM. On any failure: die() (or a message and exit 2).
	 */

	/*
	 * TODO 2: guest memory. mmap() MEM_SIZE bytes of anonymous memory,
	 * read the file argv[1] into it at offset LOAD_ADDR (a file that cannot
	 * be read: die(argv[1])), and give it to the VM as slot 0 at guest
	 * physical address 0 with KVM_SET_USER_MEMORY_REGION.
	 */

	/*
	 * TODO 3: one vCPU. KVM_CREATE_VCPU, then mmap() its struct kvm_run
	 * (size: KVM_GET_VCPU_MMAP_SIZE on the /dev/kvm fd).
	 */

	/*
	 * TODO 4: real mode at 0000:1000. KVM_GET_SREGS, set cs (and ds, es,
	 * ss) to base 0, selector 0, KVM_SET_SREGS; then KVM_SET_REGS with
	 * rip = LOAD_ADDR and rflags = 0x2 (bit 1 is always set).
	 */

	/*
	 * TODO 5: the run loop. KVM_RUN, then look at run->exit_reason:
	 *   KVM_EXIT_HLT: return 0.
	 *   KVM_EXIT_IO, direction KVM_EXIT_IO_OUT, size 1:
	 *     port SERIAL_PORT: write the io.count bytes found at
	 *       (char *)run + run->io.data_offset to stdout;
	 *     port EXIT_PORT: return the byte written;
	 *     any other port: ignore it and run on.
	 *   KVM_EXIT_IO, direction KVM_EXIT_IO_IN (any port): the guest reads
	 *     all ones: fill io.size * io.count bytes at the same place with 0xff.
	 *   anything else: a message on stderr, return 1.
	 */

	fprintf(stderr, "vmm: not implemented yet (%s)\n", argv[1]);
	close(kvm);
	return 1;
}
