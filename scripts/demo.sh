#!/usr/bin/env bash
# The main job on the shipped example: what a new user runs first.
set -euo pipefail
cd "$(dirname "$0")/.."
GS=.venv/bin/gutskin
EX=examples/SRR1761667_metaphlan.txt
mkdir -p out
echo "== gutskin inspect $EX"
$GS inspect "$EX"
echo
echo "== gutskin convert $EX -o out/SRR1761667_species.tsv --rank species"
$GS convert "$EX" -o out/SRR1761667_species.tsv --rank species
echo "Top species (share of the classified community at species rank):"
head -6 out/SRR1761667_species.tsv | cut -f1,3,7 | column -t -s $'\t'
echo
echo "The standard long table is in out/SRR1761667_species.tsv"
