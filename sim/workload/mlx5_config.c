/* SPDX-License-Identifier: MIT */
/*
 * The mlx5 model's shape (sim.h, struct iommusim_mlx5_config): a packet's maps and its bytes on
 * the wire, the packet sizes of a run and their draw, the defaults, and the members set from
 * text for the command line.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <iommusim/sim.h>

#include "base/compiler.h"
#include "workload/mlx5_impl.h"

/*
 * A TX packet up to 2 KiB is linear, as a small UDP datagram or TCP segment is (a kmalloc'd
 * head); a larger one carries its headers in the head and the payload in page fragments, as a
 * TCP send or a TSO super-packet does. The headers: Ethernet 14, IPv4 20, TCP 20 with its
 * 12-byte timestamp option.
 */
#define LINEAR_MAX 2048u
#define HEADERS	   66u
#define MIN_PACKET 64u
#define MAX_PACKET 65536u
/* A jumbo frame goes out whole; above it the send is TSO, cut to MSS-sized frames. */
#define JUMBO_MAX 9018u
#define TSO_MSS	  1448u
/* Per frame on the wire: the FCS 4, preamble and start 8, inter-frame gap 12. */
#define FRAME_OVERHEAD 24u

static const char *const traffic_names[IOMMUSIM_MLX5_TRAFFIC_NR] = {"tx", "rx", "bidi"};

const char *iommusim_mlx5_traffic_name(enum iommusim_mlx5_traffic t)
{
	return (unsigned int)t < IOMMUSIM_MLX5_TRAFFIC_NR ? traffic_names[t] : "unknown";
}

unsigned int iommusim_mlx5_tx_maps(uint32_t packet_bytes)
{
	if (packet_bytes <= LINEAR_MAX)
		return 1;
	return 1 + (unsigned int)((packet_bytes - HEADERS + MLX5_PAGE - 1) / MLX5_PAGE);
}

uint64_t isim_mlx5_wire_bytes(uint32_t packet_bytes)
{
	uint64_t frames = 1;

	if (packet_bytes > JUMBO_MAX)
		frames = (packet_bytes - HEADERS + TSO_MSS - 1) / TSO_MSS;
	/* each frame after the first repeats the headers */
	return packet_bytes + frames * FRAME_OVERHEAD + (frames - 1) * HEADERS;
}

/* The classes of a mix in use: those before the first with no percent. */
static unsigned int mix_classes(const struct iommusim_mlx5_config *c)
{
	unsigned int n = 0;

	while (n < IOMMUSIM_MLX5_MIX_MAX && c->mix[n].pct)
		n++;
	return n;
}

void isim_mlx5_classes(struct isim_mlx5 *w, uint64_t link_mbps)
{
	const struct iommusim_mlx5_config *c = &w->cfg;
	unsigned int n = mix_classes(c), upto = 0;
	u128 bps = (u128)link_mbps * 1000000u;

	w->ncls = n ? n : 1;
	w->tx_maps = w->rx_pages = 0;
	for (unsigned int i = 0; i < w->ncls; i++) {
		struct mlx5_class *k = &w->cls[i];
		u128 wire;

		k->bytes = n ? c->mix[i].bytes : c->packet_bytes;
		upto += n ? c->mix[i].pct : 100;
		k->pct_upto = upto;
		k->tx_maps = iommusim_mlx5_tx_maps(k->bytes);
		k->tx_bytes_first = k->tx_maps == 1 ? k->bytes : HEADERS;
		k->rx_pages = (unsigned int)((k->bytes + MLX5_PAGE - 1) / MLX5_PAGE);
		/* one packet occupies its direction of the link wire bytes / rate */
		wire = (u128)isim_mlx5_wire_bytes(k->bytes) * iommusim_engine_hz(w->e);
		k->wire_cycles = (uint64_t)((wire + bps - 1) / bps);
		/* a descriptor is made for any packet of the run: the largest class's pages */
		if (k->tx_maps > w->tx_maps)
			w->tx_maps = k->tx_maps;
		if (k->rx_pages > w->rx_pages)
			w->rx_pages = k->rx_pages;
	}
}

const struct mlx5_class *isim_mlx5_draw(struct isim_mlx5 *w, struct mlx5_channel *ch)
{
	unsigned int i = 0;
	uint64_t r;

	/* one size (a mix of one class too): no draw, so such a run is the one without a mix */
	if (w->ncls == 1)
		return &w->cls[0];
	r = iommusim_rng_below(&ch->mix_rng, 100);
	while (r >= w->cls[i].pct_upto)
		i++;
	return &w->cls[i];
}

static int mix_error(char *errbuf, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!errbuf || !errlen)
		return -EINVAL;
	n = snprintf(errbuf, errlen, "mlx5.mix: ");
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < errlen)
		vsnprintf(errbuf + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* A class's size and weight within their bounds: 0, or -EINVAL naming the one that is not. */
static int class_check(unsigned long bytes, unsigned long pct, char *errbuf, size_t errlen)
{
	if (bytes < MIN_PACKET || bytes > MAX_PACKET)
		return mix_error(errbuf, errlen, "%lu is not in %u..%u", bytes, MIN_PACKET,
				 MAX_PACKET);
	if (pct < 1 || pct > 100)
		return mix_error(errbuf, errlen, "weight %lu is not in 1..100", pct);
	return 0;
}

int isim_mlx5_check_mix(const struct iommusim_mlx5_config *m, char *errbuf, size_t errlen)
{
	unsigned int n = mix_classes(m), sum = 0;

	for (unsigned int i = 0; i < n; i++) {
		if (class_check(m->mix[i].bytes, m->mix[i].pct, errbuf, errlen))
			return -EINVAL;
		sum += m->mix[i].pct;
	}
	if (n && sum != 100)
		return mix_error(errbuf, errlen, "weights sum to %u, not 100", sum);
	return 0;
}

void isim_mlx5_defaults(const struct iommusim_mlx5_config *cfg, unsigned int cpus,
			struct iommusim_mlx5_config *out)
{
	*out = *cfg;
	if (!out->queues)
		out->queues = cpus;
	if (!out->packet_bytes)
		out->packet_bytes = MLX5_DEF_PACKET;
	if (!out->tx_ring)
		out->tx_ring = MLX5_DEF_RING;
	if (!out->rx_ring)
		out->rx_ring = MLX5_DEF_RING;
	if (!out->napi_budget)
		out->napi_budget = MLX5_DEF_BUDGET;
}

/* The keys of iommusim_mlx5_config_set(), their bounds and members. */
enum key {
	K_QUEUES,
	K_PKT,
	K_TRAFFIC,
	K_TX_RING,
	K_RX_RING,
	K_BUDGET,
	K_RX_MISS,
	K_CMD,
	K_MIX,
	K_RATE,
	NR_KEYS
};

static const struct {
	const char *name;
	unsigned long min, max;
} keys[NR_KEYS] = {
	[K_QUEUES] = {"queues", 0, 4096},
	[K_PKT] = {"pkt", MIN_PACKET, MAX_PACKET},
	[K_TRAFFIC] = {"traffic", 0, 0},
	[K_TX_RING] = {"tx_ring", 1, 8192},
	[K_RX_RING] = {"rx_ring", 1, 8192},
	[K_BUDGET] = {"budget", 1, 1024},
	[K_RX_MISS] = {"rx_miss", 0, 100},
	[K_CMD] = {"cmd_init_before_mask", 0, 1},
	[K_MIX] = {"mix", 0, 0},
	[K_RATE] = {"rate", 0, 1000000000},
};

static int bad(char *errbuf, size_t errlen, const char *key, const char *value, const char *why)
{
	if (errbuf && errlen)
		snprintf(errbuf, errlen, "mlx5.%s: '%s' %s", key, value, why);
	return -EINVAL;
}

/* Decimal digits with an optional k (1024) suffix; 0 or -1. */
static int parse_number(const char *s, bool suffix, unsigned long *out)
{
	unsigned long v = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > 100000000ul)
			return -1;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (suffix && (*p == 'k' || *p == 'K')) {
		v *= 1024;
		p++;
	}
	if (*p)
		return -1;
	*out = v;
	return 0;
}

/* "SIZE:PCT,..." into @cfg's mix, which replaces its packet size; 0, or -EINVAL, @cfg unchanged. */
static int set_mix(struct iommusim_mlx5_config *cfg, const char *value, char *errbuf, size_t errlen)
{
	struct iommusim_mlx5_config m = {.packet_bytes = 0};
	const char *p = value;

	for (unsigned int n = 0;; n++) {
		size_t len = strcspn(p, ",");
		unsigned long bytes, pct;
		char item[32], *colon;

		if (n == IOMMUSIM_MLX5_MIX_MAX)
			return mix_error(errbuf, errlen, "more than %u classes",
					 IOMMUSIM_MLX5_MIX_MAX);
		snprintf(item, sizeof(item), "%.*s", (int)len, p);
		colon = strchr(item, ':');
		if (len >= sizeof(item) || !colon)
			return bad(errbuf, errlen, "mix", item, "is not SIZE:PERCENT");
		*colon = '\0';
		if (parse_number(item, true, &bytes) || parse_number(colon + 1, false, &pct)) {
			*colon = ':';
			return bad(errbuf, errlen, "mix", item, "is not SIZE:PERCENT");
		}
		if (class_check(bytes, pct, errbuf, errlen))
			return -EINVAL;
		m.mix[n] = (struct iommusim_mlx5_class){(uint32_t)bytes, (unsigned int)pct};
		p += len;
		if (!*p++)
			break;
	}
	if (isim_mlx5_check_mix(&m, errbuf, errlen))
		return -EINVAL;
	memcpy(cfg->mix, m.mix, sizeof(cfg->mix));
	cfg->packet_bytes = 0;
	return 0;
}

int iommusim_mlx5_config_set(struct iommusim_mlx5_config *cfg, const char *key, const char *value,
			     char *errbuf, size_t errlen)
{
	unsigned long v;
	size_t k;

	for (k = 0; k < NR_KEYS && strcmp(keys[k].name, key); k++)
		;
	if (k == NR_KEYS) {
		if (errbuf && errlen)
			snprintf(
				errbuf, errlen,
				"mlx5: unknown key '%s' (queues, pkt, mix, rate, traffic, tx_ring, "
				"rx_ring, budget, rx_miss, cmd_init_before_mask)",
				key);
		return -ENOENT;
	}
	if (k == K_TRAFFIC) {
		for (unsigned int t = 0; t < IOMMUSIM_MLX5_TRAFFIC_NR; t++)
			if (!strcmp(value, traffic_names[t])) {
				cfg->traffic = (enum iommusim_mlx5_traffic)t;
				return 0;
			}
		return bad(errbuf, errlen, key, value, "is not tx, rx or bidi");
	}
	if (k == K_MIX)
		return set_mix(cfg, value, errbuf, errlen);
	if (parse_number(value, k == K_PKT, &v) || v < keys[k].min || v > keys[k].max) {
		char why[64];

		snprintf(why, sizeof(why), "is not a number in %lu..%lu", keys[k].min, keys[k].max);
		return bad(errbuf, errlen, key, value, why);
	}
	switch ((enum key)k) {
	case K_QUEUES:
		cfg->queues = (unsigned int)v;
		break;
	case K_PKT:
		cfg->packet_bytes = (uint32_t)v;
		memset(cfg->mix, 0, sizeof(cfg->mix));
		break;
	case K_TX_RING:
		cfg->tx_ring = (unsigned int)v;
		break;
	case K_RX_RING:
		cfg->rx_ring = (unsigned int)v;
		break;
	case K_BUDGET:
		cfg->napi_budget = (unsigned int)v;
		break;
	case K_RX_MISS:
		cfg->rx_miss_pct = (unsigned int)v;
		break;
	case K_RATE:
		cfg->rate_pps = v;
		break;
	default: /* K_CMD */
		cfg->cmd_init_before_mask = v != 0;
		break;
	}
	return 0;
}
