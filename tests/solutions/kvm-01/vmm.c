// SPDX-License-Identifier: GPL-2.0
/*
 * vmm.c - reference solution of lab kvm-01: a minimal virtual machine monitor
 * on /dev/kvm. It runs a real-mode guest program loaded at 0x1000, prints what
 * the guest writes to port 0x3f8 and exits when the guest halts or writes its
 * exit status to port 0x501.
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
#define SERIAL_PORT	0x3f8
#define EXIT_PORT	0x501

static void die(const char *what)
{
	fprintf(stderr, "vmm: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* Reads the guest program into guest memory at LOAD_ADDR. */
static void load_program(const char *path, uint8_t *mem)
{
	size_t max = MEM_SIZE - LOAD_ADDR, len = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		die(path);
	for (;;) {
		ssize_t n = read(fd, mem + LOAD_ADDR + len, max - len);

		if (n < 0)
			die(path);
		if (n == 0)
			break;
		len += n;
		if (len == max) {
			char c;

			if (read(fd, &c, 1) > 0) {
				fprintf(stderr, "vmm: %s: larger than %zu bytes\n", path, max);
				exit(2);
			}
			break;
		}
	}
	close(fd);
}

static void write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= w;
	}
}

int main(int argc, char **argv)
{
	struct kvm_userspace_memory_region region;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run;
	uint8_t *mem;
	int kvm, vm, vcpu, run_size;

	if (argc != 2) {
		fprintf(stderr, "usage: vmm GUEST.bin\n");
		return 2;
	}
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		die("/dev/kvm");
	if (ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		fprintf(stderr, "vmm: unexpected KVM API version\n");
		return 2;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		die("KVM_CREATE_VM");

	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die("mmap guest memory");
	load_program(argv[1], mem);
	memset(&region, 0, sizeof(region));
	region.slot = 0;
	region.guest_phys_addr = 0;
	region.memory_size = MEM_SIZE;
	region.userspace_addr = (uintptr_t)mem;
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		die("KVM_SET_USER_MEMORY_REGION");

	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		die("KVM_CREATE_VCPU");
	run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size < (int)sizeof(*run))
		die("KVM_GET_VCPU_MMAP_SIZE");
	run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		die("mmap kvm_run");

	/* real mode, every segment at base 0: CS:IP = 0000:1000 */
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		die("KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	sregs.ds.base = sregs.es.base = sregs.ss.base = 0;
	sregs.ds.selector = sregs.es.selector = sregs.ss.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
		die("KVM_SET_SREGS");
	memset(&regs, 0, sizeof(regs));
	regs.rip = LOAD_ADDR;
	regs.rsp = LOAD_ADDR;
	regs.rflags = 0x2; /* bit 1 is always set */
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		die("KVM_SET_REGS");

	for (;;) {
		if (ioctl(vcpu, KVM_RUN, 0) < 0) {
			if (errno == EINTR)
				continue;
			die("KVM_RUN");
		}
		switch (run->exit_reason) {
		case KVM_EXIT_HLT:
			return 0;
		case KVM_EXIT_IO: {
			uint8_t *data = (uint8_t *)run + run->io.data_offset;

			if (run->io.direction != KVM_EXIT_IO_OUT) {
				/* reads see all ones, as on a bus with nothing on it */
				memset(data, 0xff, (size_t)run->io.size * run->io.count);
				break;
			}
			if (run->io.port == SERIAL_PORT && run->io.size == 1)
				write_all(STDOUT_FILENO, data, run->io.count);
			else if (run->io.port == EXIT_PORT && run->io.size == 1)
				return data[0];
			break;
		}
		default:
			fprintf(stderr, "vmm: unexpected exit reason %u\n", run->exit_reason);
			return 1;
		}
	}
}
