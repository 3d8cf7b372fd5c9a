/* SPDX-License-Identifier: MIT */
/*
 * The scriptable platform: answers come from a queue the test fills, and every call is logged,
 * so a test can drive a driver through busy, error and "insufficient resources" answers and
 * then check exactly which ranges it refreshed. One mutex guards the queue and the log, since
 * several threads may act as CPUs; the platform is a test tool, so simplicity wins over speed.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <iommusim/firmware.h>

#include "base/memory.h"

struct script_answer {
	uint8_t cc;
	uint8_t status;
};

struct fw_script {
	struct iommusim_mem *mem;
	pthread_mutex_t lock;
	/* Answers as a ring: q_len entries from q_head, wrapping at q_cap. */
	struct script_answer *q;
	size_t q_cap;
	size_t q_head;
	size_t q_len;
	struct iommusim_firmware_call *log;
	size_t log_cap;
	size_t log_len;
};

/* Doubling keeps pushes and logging amortised constant; 16 covers most tests without regrowth. */
static size_t next_cap(size_t cap)
{
	return cap ? cap * 2 : 16;
}

static int queue_grow(struct fw_script *s)
{
	size_t cap = next_cap(s->q_cap);
	struct script_answer *q = isim_alloc(s->mem, cap * sizeof(*q), 0);

	if (!q)
		return -ENOMEM;
	/* Unwrap the ring so the oldest answer lands at index 0. */
	for (size_t i = 0; i < s->q_len; i++)
		q[i] = s->q[(s->q_head + i) % s->q_cap];
	isim_free(s->mem, s->q, s->q_cap * sizeof(*s->q), 0);
	s->q = q;
	s->q_cap = cap;
	s->q_head = 0;
	return 0;
}

static int log_grow(struct fw_script *s)
{
	size_t cap = next_cap(s->log_cap);
	struct iommusim_firmware_call *log = isim_alloc(s->mem, cap * sizeof(*log), 0);

	if (!log)
		return -ENOMEM;
	if (s->log_len)
		memcpy(log, s->log, s->log_len * sizeof(*log));
	isim_free(s->mem, s->log, s->log_cap * sizeof(*s->log), 0);
	s->log = log;
	s->log_cap = cap;
	return 0;
}

static void log_free(struct fw_script *s)
{
	isim_free(s->mem, s->log, s->log_cap * sizeof(*s->log), 0);
	s->log = NULL;
	s->log_cap = 0;
	s->log_len = 0;
}

/* Append @call under the lock; a full log that cannot grow drops it. */
static void log_call(struct fw_script *s, const struct iommusim_firmware_call *call)
{
	if (s->log_len < s->log_cap || !log_grow(s))
		s->log[s->log_len++] = *call;
}

static int script_rpcit(void *arg, struct iommusim_cpu *cpu, uint32_t fh, uint64_t addr,
			uint64_t len, uint8_t *status)
{
	struct fw_script *s = arg;
	struct script_answer a = {IOMMUSIM_FW_CC_OK, 0};

	pthread_mutex_lock(&s->lock);
	if (s->q_len) {
		a = s->q[s->q_head];
		s->q_head = (s->q_head + 1) % s->q_cap;
		s->q_len--;
	}
	/* A dropped entry is still counted by the interface statistics. */
	log_call(s, &(struct iommusim_firmware_call){
			    .kind = IOMMUSIM_FIRMWARE_CALL_RPCIT,
			    .cpu_id = iommusim_cpu_id(cpu),
			    .fh = fh,
			    .addr = addr,
			    .len = len,
			    .cc = a.cc,
			    .status = a.status,
		    });
	pthread_mutex_unlock(&s->lock);
	*status = a.status;
	return a.cc;
}

/*
 * Registrations are logged but not scripted: the queue holds RPCIT answers, and a test that
 * needs a refused registration supplies its own @set_ioat.
 */
static int script_set_ioat(void *arg, uint32_t fh, uint64_t pba, uint64_t pal,
			   const struct iommusim_s390_io_table *iota)
{
	struct fw_script *s = arg;

	pthread_mutex_lock(&s->lock);
	log_call(s, &(struct iommusim_firmware_call){
			    .kind = IOMMUSIM_FIRMWARE_CALL_SET_IOAT,
			    .fh = fh,
			    .addr = pba,
			    .len = iota ? pal - pba + 1 : 0,
			    .iota = iota,
		    });
	pthread_mutex_unlock(&s->lock);
	return 0;
}

static void script_release(void *arg)
{
	struct fw_script *s = arg;

	isim_free(s->mem, s->q, s->q_cap * sizeof(*s->q), 0);
	log_free(s);
	pthread_mutex_destroy(&s->lock);
	isim_free(s->mem, s, sizeof(*s), 0);
}

static const struct iommusim_firmware_ops script_ops = {
	.rpcit = script_rpcit,
	.release = script_release,
	.set_ioat = script_set_ioat,
};

/* The script state behind @fw, or NULL when @fw runs on another platform. */
static struct fw_script *to_script(struct iommusim_firmware *fw)
{
	if (iommusim_firmware_get_ops(fw) != &script_ops)
		return NULL;
	return iommusim_firmware_get_arg(fw);
}

int iommusim_firmware_create_script(struct iommusim_mem *mem, struct iommusim_firmware **out)
{
	struct fw_script *s = isim_zalloc(mem, sizeof(*s), 0);
	int ret;

	if (!s)
		return -ENOMEM;
	s->mem = mem;
	if (pthread_mutex_init(&s->lock, NULL)) {
		isim_free(mem, s, sizeof(*s), 0);
		return -ENOMEM;
	}
	ret = iommusim_firmware_create(mem, &script_ops, s, out);
	if (ret)
		script_release(s);
	return ret;
}

int iommusim_firmware_script_push(struct iommusim_firmware *fw, uint8_t cc, uint8_t status)
{
	struct fw_script *s = to_script(fw);
	int ret = 0;

	if (!s || cc > IOMMUSIM_FW_CC_NOT_OPERATIONAL)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	if (s->q_len == s->q_cap)
		ret = queue_grow(s);
	if (!ret) {
		s->q[(s->q_head + s->q_len) % s->q_cap] = (struct script_answer){cc, status};
		s->q_len++;
	}
	pthread_mutex_unlock(&s->lock);
	return ret;
}

size_t iommusim_firmware_script_pending(struct iommusim_firmware *fw)
{
	struct fw_script *s = to_script(fw);
	size_t n;

	if (!s)
		return 0;
	pthread_mutex_lock(&s->lock);
	n = s->q_len;
	pthread_mutex_unlock(&s->lock);
	return n;
}

size_t iommusim_firmware_script_log_len(struct iommusim_firmware *fw)
{
	struct fw_script *s = to_script(fw);
	size_t n;

	if (!s)
		return 0;
	pthread_mutex_lock(&s->lock);
	n = s->log_len;
	pthread_mutex_unlock(&s->lock);
	return n;
}

int iommusim_firmware_script_log_get(struct iommusim_firmware *fw, size_t i,
				     struct iommusim_firmware_call *out)
{
	struct fw_script *s = to_script(fw);
	int ret = 0;

	if (!s)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	if (i < s->log_len)
		*out = s->log[i];
	else
		ret = -ERANGE;
	pthread_mutex_unlock(&s->lock);
	return ret;
}

void iommusim_firmware_script_log_clear(struct iommusim_firmware *fw)
{
	struct fw_script *s = to_script(fw);

	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	log_free(s);
	pthread_mutex_unlock(&s->lock);
}
