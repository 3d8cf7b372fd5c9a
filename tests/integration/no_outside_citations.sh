#!/usr/bin/env bash
# Every citation in the repository points to something the repository holds:
#  - no text file names the specification pages kept beside the checkout, in the shared
#    folder next to it (the hypervisor and kernel-iommu pages, or a path into that folder): a
#    fresh clone has nothing beside it (the patterns are spelled in the perl below);
#  - every "sources.md S<n>" (also "S<a>, S<b>", "S<a>-S<b>", split over comment lines) and
#    every link "sources.md#s<n>" names a section docs/sources.md has ("## S<n>: ... {#s<n>}"),
#    and so does every "S<n>" docs/sources.md uses for its own sections.
# Files: the tracked ones (git ls-files), or every file but .git and build* when git cannot
# list them; binary files, tests/data/golden/ and this script are skipped. One line per problem,
# "FILE:LINE: reason"; exit status 1 if there is any.
set -euo pipefail
root=${1:?usage: no_outside_citations.sh SOURCE_ROOT}
cd "$root"

if command -v git >/dev/null 2>&1 && git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  list() { git ls-files -z; }
else
  list() {
    find . \( -name .git -o -path './build*' \) -prune -o -type f -print0 | sed -z 's|^\./||' |
      sort -z
  }
fi
# The check is written in perl; without it there is nothing to run (77: skipped, for meson).
command -v perl >/dev/null 2>&1 || { echo "perl not found: check skipped"; exit 77; }

list | perl -0 -e '
use strict;
use warnings;
my $self = "tests/integration/no_outside_citations.sh";
my $sources = "docs/sources.md";
my @problems;
my $nfiles = 0;

sub slurp {
	my ($path) = @_;
	open(my $fh, "<", $path) or return undef;
	local $/;
	my $text = <$fh>;
	close($fh);
	return $text;
}

sub line_of {
	my ($text, $pos) = @_;
	return 1 + (substr($text, 0, $pos) =~ tr/\n//);
}

# The sections docs/sources.md defines.
my %have;
my $src = slurp($sources);
if (!defined $src) {
	push @problems, "$sources:1: missing: the sections every \"sources.md S<n>\" cites live there";
	$src = "";
}
while ($src =~ /^## S(\d+):[^\n]*$/mg) {
	my ($n, $line, $head) = ($1, line_of($src, $-[0]), $&);
	push @problems, "$sources:$line: section S$n is defined twice" if $have{$n};
	$have{$n} = 1;
	push @problems, "$sources:$line: heading of S$n lacks its anchor {#s$n}"
		unless $head =~ /\{#s$n\}\s*$/;
}

sub want {
	my ($file, $line, $n, $how) = @_;
	push @problems, "$file:$line: cites $how, but $sources has no section S$n" unless $have{$n};
}

local $/ = "\0";
while (my $file = <STDIN>) {
	chomp $file;
	next if $file eq $self || $file =~ m{^tests/data/golden/} || !-f $file;
	my $text = slurp($file);
	next if !defined $text || $text =~ /\0/;    # unreadable or binary
	$nfiles++;

	# Citations of files that are not in the repository.
	my $ln = 0;
	for my $l (split /\n/, $text, -1) {
		$ln++;
		while ($l =~ m{(hypervisor\.md|kernel-iommu\.md|\.\./shared\/|shared\/spec)}g) {
			push @problems, "$file:$ln: cites $1, which is outside the repository "
				. "(cite docs/sources.md S<n> instead)";
		}
	}

	# "sources.md S<n>" and lists or ranges after it, possibly across comment lines.
	my $gap = qr{[\s*/#]*};
	while ($text =~ /sources\.md$gap(S\d+(?:$gap(?:,|and|-)$gap S\d+)*)/xg) {
		my ($list, $line) = ($1, line_of($text, $-[0]));
		my $prev;
		while ($list =~ /(-)?$gap S(\d+)/xg) {
			my ($range, $n) = ($1, $2);
			if ($range && defined $prev && $prev < $n) {
				want($file, $line, $_, "sources.md S$_ (in S$prev-S$n)") for ($prev + 1 .. $n);
			} else {
				want($file, $line, $n, "sources.md S$n");
			}
			$prev = $n;
		}
	}
	while ($text =~ /sources\.md#s(\d+)/g) {
		want($file, line_of($text, $-[0]), $1, "sources.md#s$1");
	}
	# docs/sources.md cites its own sections as a bare "S<n>" (one or two digits: "Phytium
	# S2500" is a processor).
	if ($file eq $sources) {
		while ($text =~ /^(?!## S\d+:)[^\n]*$/mg) {
			my ($l, $start) = ($&, $-[0]);
			while ($l =~ /\bS(\d{1,2})\b/g) {
				want($file, line_of($text, $start), $1, "S$1");
			}
		}
	}
}

print "$_\n" for @problems;
if (@problems) {
	printf "%d problem(s) in %d files: every citation must point into the repository\n",
		scalar @problems, $nfiles;
	exit 1;
}
printf "ok: %d files, no outside citations, sections S%s cited correctly\n", $nfiles,
	join(", S", sort { $a <=> $b } keys %have);
'
