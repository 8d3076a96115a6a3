/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ringdev.h - the ioctl commands of /dev/klab_ring (lab devices-01), shared by
 * the module and the programs that use it. You do not need to change it.
 */
#ifndef RINGDEV_H
#define RINGDEV_H

#include <linux/ioctl.h>

#define RING_SIZE 4096			/* bytes the ring holds */

#define RING_IOC_MAGIC 'k'
#define RING_GET_FILL _IOR(RING_IOC_MAGIC, 1, int)	/* bytes stored now */
#define RING_CLEAR _IO(RING_IOC_MAGIC, 2)		/* drop them all */

#endif
