#!/usr/bin/env bash
# Oracle for life_sciences/variant_calling: bwa mem -> samtools sort/markdup/index -> bcftools mpileup/call/norm/filter
# -> bgzip/tabix.
# ALE-CANARY-fd3889fa-0e43-4760-9067-bc814d2255aa
# Run under another name (a symlink in adversaries/), it takes one shortcut:
#   bare_read_group.sh  the read group names the sample only (no platform, no library from the sample sheet).
#   mapped_only_bam.sh  the unmapped reads are left out of aligned.bam.
#   no_allele_balance.sh  no allele-balance (diploid) or mixed-site (haploid) filter: the read-level strand and
#                       depth filters only.
#   depth_cap.sh        the allele-balance / mixed-site filter replaced by a depth cap at 1.6 x the sequence's
#                       mean depth, under the deep low-fraction errors of low-pass data.
set -euo pipefail
MODE="$(basename "$0" .sh)"

IN="${ALE_INPUT_DIR:-/workspace/input}"
OUT="${ALE_OUTPUT_DIR:-/workspace/output}"
WORK="$(mktemp -d)"
THREADS=2

# sample sheet: sample_id read1 read2 ploidy platform library_layout library_id
IFS=$'\t' read -r SAMPLE R1 R2 PLOIDY PLATFORM _LAYOUT LIBRARY < <(tail -n +2 "$IN/sample_sheet.tsv")

cp "$IN/reference.fa" "$WORK/ref.fa"
bwa index "$WORK/ref.fa" 2>/dev/null
samtools faidx "$WORK/ref.fa"

RG="@RG\tID:${LIBRARY}.1\tSM:${SAMPLE}\tLB:${LIBRARY}\tPL:${PLATFORM}"
[ "$MODE" = bare_read_group ] && RG="@RG\tID:${LIBRARY}.1\tSM:${SAMPLE}"
# name-grouped output -> fixmate (mate scores) -> coordinate sort -> mark PCR duplicates
bwa mem -t "$THREADS" -R "$RG" "$WORK/ref.fa" "$IN/$R1" "$IN/$R2" 2>/dev/null \
  | samtools fixmate -m - - \
  | samtools sort -@ "$THREADS" -o "$WORK/sorted.bam" -
if [ "$MODE" = mapped_only_bam ]; then
  samtools markdup "$WORK/sorted.bam" - | samtools view -b -F 0x4 -o "$OUT/aligned.bam" -
else
  samtools markdup "$WORK/sorted.bam" "$OUT/aligned.bam"
fi
samtools index "$OUT/aligned.bam"

total_reads=$(( $(zcat "$IN/$R1" | wc -l) / 4 * 2 ))
mapped=$(samtools view -c -F 0x904 "$OUT/aligned.bam")
duplicates=$(samtools view -c -f 0x400 -F 0x904 "$OUT/aligned.bam")
samtools depth -a "$OUT/aligned.bam" > "$WORK/depth.txt"
mean_depth=$(awk '{s += $3} END {printf "%.4f", s / NR}' "$WORK/depth.txt")

# Release filters, each named in FILTER and declared in the header:
#   LowQual     QUAL < 20.
#   DepthRange  depth outside a window per sequence (a multi-copy plasmid is deeper than the
#               chromosome): fewer than max(3, min(8, mean/4)) reads, or more than
#               max(1.6 x mean, mean + 3 sd): a collapsed repeat whose extra copies pile up here.
#   StrandBias  the alternate allele's reads lean on one strand: Fisher strand-bias P < 0.01 (SP >= 20),
#               or (what low depth cannot reach that P for) four or more alternate reads all on
#               one strand while the reference allele is read only on the other.
#   AlleleBalance (diploid)  a heterozygous call with under 25% alternate reads at 15 or more reads:
#               PCR stutter and context-specific errors, not a germline allele.
#   MixedSite   (haploid)  the alternate allele carries under 80% of the reads.
#   SnpGap      an SNV within 3 bases of an indel.
depth_expr=$(awk '{s[$1] += $3; n[$1]++}
  END {
    sep = ""
    for (c in s) {
      m = s[c] / n[c]; lo = int(m / 4); if (lo < 3) lo = 3; if (lo > 8) lo = 8
      hi = 1.6 * m; if (m + 3 * sqrt(m) > hi) hi = m + 3 * sqrt(m)
      printf "%s(CHROM==\"%s\" && (INFO/DP<%d || INFO/DP>%d))", sep, c, lo, hi; sep = " || "
    }
  }' "$WORK/depth.txt")
strand_expr='FMT/SP>=20 || (INFO/DP4[0]=0 && INFO/DP4[3]=0 && INFO/DP4[1]>0 && INFO/DP4[2]>=4)'
strand_expr+=' || (INFO/DP4[1]=0 && INFO/DP4[2]=0 && INFO/DP4[0]>0 && INFO/DP4[3]>=4)'
if [ "$PLOIDY" = "1" ]; then
  balance=(bcftools filter -m + -s MixedSite -Ou
    -e "(INFO/DP4[2]+INFO/DP4[3]) < 0.8*(INFO/DP4[0]+INFO/DP4[1]+INFO/DP4[2]+INFO/DP4[3])")
else
  balance=(bcftools filter -m + -s AlleleBalance -Ou -e 'GT="het" && FMT/DP>=15 && FMT/AD[0:1] < 0.25*FMT/DP')
fi
[ "$MODE" = no_allele_balance ] && balance=(bcftools view -Ou)
if [ "$MODE" = depth_cap ]; then
  cap_expr=$(awk '{s[$1] += $3; n[$1]++}
    END {sep = ""; for (c in s) {printf "%s(CHROM==\"%s\" && INFO/DP>%.2f)", sep, c, 1.6 * s[c] / n[c]; sep = " || "}}' \
    "$WORK/depth.txt")
  balance=(bcftools filter -m + -s DepthCap -e "$cap_expr" -Ou)
fi

bcftools mpileup -f "$WORK/ref.fa" -q 20 -Q 20 -a FORMAT/AD,FORMAT/DP,FORMAT/SP -Ou "$OUT/aligned.bam" 2>/dev/null \
  | bcftools call -mv --ploidy "$PLOIDY" -Ou 2>/dev/null \
  | bcftools norm -f "$WORK/ref.fa" -m -any -Ou \
  | bcftools filter -s LowQual -e 'QUAL<20' -Ou \
  | bcftools filter -m + -s DepthRange -e "$depth_expr" -Ou \
  | bcftools filter -m + -s StrandBias -e "$strand_expr" -Ou \
  | "${balance[@]}" \
  | bcftools filter -m + -s SnpGap -g 3 -Ov -o "$WORK/calls.vcf"
bgzip -c "$WORK/calls.vcf" > "$OUT/calls.vcf.gz"
tabix -p vcf "$OUT/calls.vcf.gz"

bcftools stats -f PASS "$OUT/calls.vcf.gz" > "$WORK/stats.txt"
snvs=$(awk -F'\t' '$1 == "SN" && $3 == "number of SNPs:" {print $4}' "$WORK/stats.txt")
indels=$(awk -F'\t' '$1 == "SN" && $3 == "number of indels:" {print $4}' "$WORK/stats.txt")
tstv=$(awk -F'\t' '$1 == "TSTV" {print $5; exit}' "$WORK/stats.txt")

cat > "$OUT/qc_summary.json" <<JSON
{
  "sample": "${SAMPLE}",
  "total_reads": ${total_reads},
  "mapped_reads": ${mapped},
  "duplicate_reads": ${duplicates},
  "mapped_percent": $(awk -v m="$mapped" -v t="$total_reads" 'BEGIN {printf "%.2f", 100 * m / t}'),
  "mean_depth": ${mean_depth},
  "snv_count": ${snvs},
  "indel_count": ${indels},
  "ts_tv": ${tstv}
}
JSON
