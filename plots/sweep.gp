# Throughput curves from a sweep's CSV (iommusim-bench sweep, or compare runs joined with a
# column per swept key), without iommusim-bench: one line per platform and policy, the
# column given against the swept key, with the 95 % interval as bars when asked.
#
#   gnuplot -c sweep.gp FILE.csv KEY [COLUMN [OUTPUT.png [WIDTH HEIGHT]]]
#
# COLUMN is iops_mean unless given; with a COLUMN ending in _mean, its _ci95_lo and _ci95_hi
# columns are drawn as bars. The x axis is logarithmic (base 2) unless logx=0 is set first:
# gnuplot -e 'logx=0' -c sweep.gp .... The platforms and policies looked for are the words
# of `platforms` and `policies`, which -e can set the same way. Rows are drawn in the
# file's order: a sweep writes each cell's rows in increasing x.
if (ARGC < 2) {
    print "usage: gnuplot -c sweep.gp FILE.csv KEY [COLUMN [OUTPUT.png [WIDTH HEIGHT]]]"
    exit status 2
}
csv = ARG1
key = ARG2
ycol = ARGC >= 3 ? ARG3 : 'iops_mean'
out = ARGC >= 4 ? ARG4 : (strlen(csv) > 4 && csv[strlen(csv)-3:] eq '.csv' ? csv[1:strlen(csv)-4] : csv) . '.png'
width = ARGC >= 6 ? int(ARG5) : 1024
height = ARGC >= 6 ? int(ARG6) : 640
if (!exists("platforms")) platforms = 'lpar zvm kvm kvm-qemu7.2 kvm-qemu7.1'
if (!exists("policies")) policies = 'strict fq-percpu fq-single legacy'
if (!exists("logx")) logx = 1
n = strlen(ycol)
bars = n > 5 && ycol[n-4:] eq '_mean'
base = bars ? ycol[1:n-5] : ycol

set datafile separator comma
set datafile columnheaders
colours = '#d62728 #1f77b4 #2ca02c #404040'

# One table per platform and policy that has rows: the plot command is built as text.
cmd = ''
k = 0
do for [i = 1:words(platforms)] {
    do for [j = 1:words(policies)] {
        pl = word(platforms, i)
        po = word(policies, j)
        stats csv using ((strcol('platform') eq pl && strcol('policy') eq po) ? 1 : 0) nooutput
        if (STATS_sum > 0) {
            k = k + 1
            eval sprintf('set table $line%d', k)
            if (bars) {
                plot csv using (column(key)):(column(ycol)):(column(base.'_ci95_lo')):(column(base.'_ci95_hi')) \
                    with table if (strcol('platform') eq pl && strcol('policy') eq po)
            } else {
                plot csv using (column(key)):(column(ycol)) \
                    with table if (strcol('platform') eq pl && strcol('policy') eq po)
            }
            unset table
            cmd = cmd . (k > 1 ? ', ' : '') . sprintf("$line%d using 1:2%s with %s lc rgb '%s' dt %d pt %s lw 2 title '%s %s'", \
                k, bars ? ':3:4' : '', bars ? 'yerrorlines' : 'linespoints', \
                word(colours, (j - 1) % 4 + 1), (i - 1) % 5 + 1, word('7 5 9 11 13', (i - 1) % 5 + 1), pl, po)
        }
    }
}
if (k == 0) {
    print sprintf("sweep.gp: %s: no rows of the platforms (%s) and policies (%s)", csv, platforms, policies)
    exit status 2
}

# the tables are text in columns, with no header
set datafile separator whitespace
set datafile nocolumnheaders
set title sprintf('%s against %s (%s)', ycol, key, csv) noenhanced
set xlabel key . (logx ? ', log scale' : '') noenhanced
set ylabel ycol noenhanced
set format y '%.10g'
if (logx) { set logscale x 2 }
set yrange [0:*]
set offsets graph 0.03, graph 0.03, graph 0.05, 0
set grid lt 1 lw 1 lc rgb '#e0e0e0'
set border 3
set tics nomirror out
set key outside right top vertical Left reverse noenhanced
if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {
    set terminal pngcairo size width, height font 'sans,11' noenhanced background '#ffffff'
} else {
    set terminal png size width, height font 'sans,11' noenhanced background '#ffffff'
}
set output out
eval 'plot ' . cmd
unset output
print sprintf("sweep.gp: wrote %s", out)
