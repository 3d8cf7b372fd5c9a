/* SPDX-License-Identifier: MIT */
/*
 * compare --workload mlx5 [--mlx5 KEY=VALUE,...] (docs/compare.md, docs/workloads.md): the
 * options, the network function they configure, and what its rows add: packets per second,
 * Gb/s and the maps and unmaps per packet, and with a rate the offered packets per second and
 * the share of late starts. Like a replay's, these columns come after every other column and
 * only when the mlx5 workload ran (the rate's only with a rate), so a file of NVMe rows, or of
 * closed-loop mlx5 rows, keeps its columns.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "compare_args.h"

bool compare_mlx5_runs(const struct compare_opts *o)
{
	return o->wl.workload == IOMMUSIM_WORKLOAD_MLX5;
}

int args_mlx5_option(struct compare_opts *o, int c, bool sweep)
{
	const char *opt = c == 'W' ? "--workload" : "--mlx5";

	if (sweep) {
		fprintf(stderr, "%s: %s: not in a sweep (run the mlx5 workload with compare)\n",
			args_cmd, opt);
		return -1;
	}
	if (c == 'W') {
		if (args_given_twice(opt, o->workload_text != NULL))
			return -1;
		if (strcmp(optarg, "nvme") && strcmp(optarg, "mlx5"))
			return args_bad_value(opt, "not nvme or mlx5:", optarg);
		o->workload_text = optarg;
		return 0;
	}
	if (args_given_twice(opt, o->mlx5_text != NULL))
		return -1;
	o->mlx5_text = optarg;
	return 0;
}

/*
 * --mlx5's comma-separated KEY=VALUE list into @o's configuration; 0 or -1. A mix's classes
 * are separated by commas too: the items after mix=SIZE:PCT up to the next KEY= are its own.
 */
static int apply_list(struct compare_opts *o)
{
	char list[512], errbuf[256], shown[300];
	char *next;

	if (strlen(o->mlx5_text) >= sizeof(list))
		return args_bad_value("--mlx5", "too long:", o->mlx5_text);
	strcpy(list, o->mlx5_text);
	for (char *kv = list; kv; kv = next) {
		char *end = strchr(kv, ','), *eq;

		while (end && !strncmp(kv, "mix=", 4) &&
		       !memchr(end + 1, '=', strcspn(end + 1, ",")))
			end = strchr(end + 1, ','); /* a class of the mix: its value goes on */
		next = end ? end + 1 : NULL;
		if (end)
			*end = '\0';
		if (!*kv)
			continue; /* an empty item, skipped */
		eq = strchr(kv, '=');
		if (!eq)
			return args_bad_value("--mlx5", "not KEY=VALUE:", kv);
		*eq = '\0';
		if (iommusim_mlx5_config_set(&o->wl.mlx5, kv, eq + 1, errbuf, sizeof(errbuf))) {
			fprintf(stderr, "%s: --mlx5: %s\n", args_cmd,
				cli_shown(errbuf, shown, sizeof(shown)));
			return -1;
		}
	}
	return 0;
}

int compare_mlx5_apply(struct compare_opts *o)
{
	o->wl.workload = o->sc->workload;
	o->wl.mlx5 = o->sc->mlx5;
	if (o->workload_text)
		o->wl.workload = strcmp(o->workload_text, "mlx5") ? IOMMUSIM_WORKLOAD_NVME
								  : IOMMUSIM_WORKLOAD_MLX5;
	if (!compare_mlx5_runs(o)) {
		if (o->mlx5_text) {
			fprintf(stderr, "%s: --mlx5: needs the mlx5 workload (--workload mlx5)\n",
				args_cmd);
			return -1;
		}
		return 0;
	}
	for (size_t i = 0; i < COMPARE_WL_CPUS; i++)
		if (o->wl_text[i]) {
			fprintf(stderr,
				"%s: --%s: not with the mlx5 workload (its options: --mlx5 "
				"KEY=VALUE,...)\n",
				args_cmd, iommusim_sim_option_name(i));
			return -1;
		}
	if (o->trace_path || o->sensitivity || o->draws) {
		fprintf(stderr, "%s: %s: not with the mlx5 workload\n", args_cmd,
			o->trace_path	 ? "--trace"
			: o->sensitivity ? "--sensitivity"
					 : "--uncertainty");
		return -1;
	}
	if (o->record && o->record->path) {
		fprintf(stderr, "%s: --record: not with the mlx5 workload (it records no trace)\n",
			args_cmd);
		return -1;
	}
	return o->mlx5_text ? apply_list(o) : 0;
}

/*
 * The mean over @m's packets, as its mix's weights expect, of their bytes or (@maps) of their
 * TX maps; without a mix, those of its one size.
 */
static double mean_of(const struct iommusim_mlx5_config *m, bool maps)
{
	uint32_t bytes = m->packet_bytes ? m->packet_bytes : 1500;
	double sum = 0;

	if (!m->mix[0].pct)
		return maps ? iommusim_mlx5_tx_maps(bytes) : bytes;
	for (size_t i = 0; i < IOMMUSIM_MLX5_MIX_MAX && m->mix[i].pct; i++)
		sum += m->mix[i].pct *
		       (maps ? iommusim_mlx5_tx_maps(m->mix[i].bytes) : (double)m->mix[i].bytes);
	return sum / 100;
}

/* A row's packet_bytes: the one size, or a mix's mean size to the byte. */
static uint64_t packet_bytes(const struct iommusim_mlx5_config *m)
{
	return (uint64_t)(mean_of(m, false) + 0.5);
}

void compare_mlx5_name(const struct iommusim_mlx5_config *m, unsigned int cpus, char *buf,
		       size_t len)
{
	int n = snprintf(buf, len, "mlx5-%s%llub-%s-%uq", m->mix[0].pct ? "mix" : "",
			 (unsigned long long)packet_bytes(m),
			 iommusim_mlx5_traffic_name(m->traffic), m->queues ? m->queues : cpus);

	if (m->rate_pps && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, "-%llupps", (unsigned long long)m->rate_pps);
}

/* ---- the mlx5 rows' columns ---- */

enum mcol { M_TRAFFIC, M_PACKET, M_PPS, M_GBPS, M_MAPS, M_UNMAPS, M_OFFERED, M_LATE, NR_MCOLS };
/* Without a rate, the columns before M_OFFERED. */
#define NR_CLOSED M_OFFERED

/* clang-format off */
#define FILES IOMMUSIM_REPORT_FILES
#define FIG   (IOMMUSIM_REPORT_NULLABLE | IOMMUSIM_REPORT_RIGHT)
static const struct iommusim_report_column mcols[NR_MCOLS] = {
	[M_TRAFFIC] = {"traffic", IOMMUSIM_REPORT_STRING, FILES, 0, 0, 0, NULL, NULL, NULL},
	[M_PACKET] = {"packet_bytes", IOMMUSIM_REPORT_UINT, FILES, 0, 0, 0, NULL, NULL, NULL},
	/* a network run's own figures: in the table too */
	[M_PPS] = {"pps", IOMMUSIM_REPORT_REAL, 0, FIG, 0, 0, NULL, NULL, NULL},
	[M_GBPS] = {"gbps", IOMMUSIM_REPORT_REAL, 0, FIG, 2, 0, NULL, NULL, NULL},
	[M_MAPS] = {"maps_per_pkt", IOMMUSIM_REPORT_REAL, 0, FIG, 2, 0, NULL, NULL, NULL},
	[M_UNMAPS] = {"unmaps_per_pkt", IOMMUSIM_REPORT_REAL, 0, FIG, 2, 0, NULL, NULL, NULL},
	/* with a rate: whether the policy kept up with it */
	[M_OFFERED] = {"offered_pps", IOMMUSIM_REPORT_REAL, 0, FIG, 0, 0, NULL, NULL, NULL},
	[M_LATE] = {"late_pct", IOMMUSIM_REPORT_REAL, 0, FIG, 2, 0, NULL, NULL, NULL},
};
/* clang-format on */

bool compare_mlx5_column(const char *name)
{
	for (size_t i = 0; i < NR_MCOLS; i++)
		if (!strcmp(mcols[i].name, name))
			return true;
	return false;
}

size_t compare_mlx5_columns(const struct compare_opts *o, struct iommusim_report_column *out)
{
	size_t n = o->wl.mlx5.rate_pps ? NR_MCOLS : NR_CLOSED;

	if (!compare_mlx5_runs(o))
		return 0;
	if (out)
		memcpy(out, mcols, n * sizeof(mcols[0]));
	return n;
}

void compare_mlx5_cells(struct iommusim_report *rep, size_t at, const struct compare_opts *o,
			const struct iommusim_sim_stats *st)
{
	if (!compare_mlx5_runs(o))
		return;
	iommusim_report_set_str(rep, at + M_TRAFFIC,
				iommusim_mlx5_traffic_name(o->wl.mlx5.traffic));
	iommusim_report_set_uint(rep, at + M_PACKET, packet_bytes(&o->wl.mlx5));
	iommusim_report_set_real(rep, at + M_PPS, st->pps);
	iommusim_report_set_real(rep, at + M_GBPS, st->gbps);
	iommusim_report_set_real(rep, at + M_MAPS, st->maps_per_packet);
	iommusim_report_set_real(rep, at + M_UNMAPS, st->unmaps_per_packet);
	if (!o->wl.mlx5.rate_pps)
		return;
	iommusim_report_set_real(rep, at + M_OFFERED, st->offered_pps);
	/* of the packets started in the interval (a TX xmit, an RX packet's first bit) */
	iommusim_report_set_real(rep, at + M_LATE,
				 st->ios_submitted ? 100.0 * (double)st->late_starts /
							     (double)st->ios_submitted
						   : NAN);
}

void compare_mlx5_meta(struct iommusim_report_value *m, const struct compare_opts *o)
{
	const struct iommusim_mlx5_config *c = &o->wl.mlx5;
	struct iommusim_report_value *x;

	if (!compare_mlx5_runs(o))
		return;
	iommusim_report_newline(m);
	x = iommusim_report_add_object(m, "mlx5");
	iommusim_report_add_uint(x, "queues", c->queues ? c->queues : o->wl.cpus);
	iommusim_report_add_uint(x, "packet_bytes", packet_bytes(c));
	iommusim_report_add_str(x, "traffic", iommusim_mlx5_traffic_name(c->traffic));
	iommusim_report_add_uint(x, "tx_ring", c->tx_ring ? c->tx_ring : 1024);
	iommusim_report_add_uint(x, "rx_ring", c->rx_ring ? c->rx_ring : 1024);
	iommusim_report_add_uint(x, "napi_budget", c->napi_budget ? c->napi_budget : 64);
	iommusim_report_add_uint(x, "rx_miss_pct", c->rx_miss_pct);
	if (!c->mix[0].pct) {
		iommusim_report_add_uint(x, "tx_maps_per_packet", (uint64_t)mean_of(c, true));
	} else {
		struct iommusim_report_value *mix = iommusim_report_add_array(x, "mix");

		/* the mix's expectation; the row's maps_per_pkt is what its draws gave */
		iommusim_report_add_real(x, "tx_maps_per_packet", mean_of(c, true), 2);
		for (size_t i = 0; i < IOMMUSIM_MLX5_MIX_MAX && c->mix[i].pct; i++) {
			struct iommusim_report_value *k = iommusim_report_add_object(mix, NULL);

			iommusim_report_add_uint(k, "bytes", c->mix[i].bytes);
			iommusim_report_add_uint(k, "pct", c->mix[i].pct);
		}
	}
	if (c->rate_pps)
		iommusim_report_add_uint(x, "rate_pps", c->rate_pps);
}
