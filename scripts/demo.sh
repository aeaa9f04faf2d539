#!/usr/bin/env bash
# The main job on the shipped example: what a new user runs first (`make demo`).
set -euo pipefail
cd "$(dirname "$0")/.."
GS=.venv/bin/gutskin
EX=examples/SRR1761667_metaphlan.txt
Q=examples/questionnaire.yaml

echo "== 1. What is in the file?   gutskin inspect $EX"
$GS inspect "$EX"
echo
echo "== 2. The report   gutskin report $EX --questionnaire $Q -o examples/report.html (and .pdf)"
$GS report "$EX" --questionnaire "$Q" -o examples/report.html -o examples/report.pdf
echo
R=examples/retest
echo "== 3. A retest: did this person's gut change between two tests, or is it noise?   gutskin retest OLD NEW"
$GS retest $R/Subj054_time1_S41_metaphlan.txt $R/Subj054_time2_S42_metaphlan.txt --dates 2026-01-10,2026-04-12 \
    -o $R/retest.html
echo
echo "Done. Open the report in a browser or PDF viewer:"
echo "  $(pwd)/examples/report.html"
echo "  $(pwd)/examples/report.pdf"
echo "  $(pwd)/examples/retest/retest.html"
echo
echo "Next steps: 'gutskin insights $EX -q $Q' prints the skin panels in the terminal;"
echo "'gutskin trial plan --help' plans a one-food elimination trial; every command has --help."
