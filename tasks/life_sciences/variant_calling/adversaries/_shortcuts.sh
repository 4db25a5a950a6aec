#!/usr/bin/env bash
# Near-miss shortcut agents for life_sciences/variant_calling; the behaviour follows the name it runs under.
#   skip_normalisation: a full pipeline, but the calls go out as bcftools call wrote them (no bcftools norm).
#   skip_markdup:       a full pipeline, but PCR duplicates are never marked.
#   single_end:         each read file aligned on its own as single-end reads (no pairing, no mate scores).
#   no_filter:          a full pipeline, but every raw call is reported as PASS (the filtering stage skipped).
#   qual_only:          a full pipeline, filtered by one hard threshold, QUAL<30, and nothing else.
#   qual_depth:         a full pipeline with the usual hard filters (QUAL<20, depth under 4 or over twice
#                       its sequence's mean) but no look at the reads behind a call (strand, allele balance).
set -euo pipefail
mode="$(basename "$0" .sh)"
in="$ALE_INPUT_DIR"; out="$ALE_OUTPUT_DIR"; tmp="$(mktemp -d)"
IFS=$'\t' read -r sample r1 r2 ploidy platform _ lib < <(sed -n 2p "$in/sample_sheet.tsv")
cp "$in/reference.fa" "$tmp/ref.fa"; bwa index "$tmp/ref.fa" 2>/dev/null; samtools faidx "$tmp/ref.fa"
rg="@RG\tID:$lib\tSM:$sample\tLB:$lib\tPL:$platform"
if [ "$mode" = single_end ]; then
  bwa mem -t 2 -R "$rg" "$tmp/ref.fa" "$in/$r1" 2>/dev/null | samtools sort -n -o "$tmp/a.bam"
  bwa mem -t 2 -R "$rg" "$tmp/ref.fa" "$in/$r2" 2>/dev/null | samtools sort -n -o "$tmp/b.bam"
  samtools merge -n -o "$tmp/fm.bam" "$tmp/a.bam" "$tmp/b.bam"
else
  bwa mem -t 2 -R "$rg" "$tmp/ref.fa" "$in/$r1" "$in/$r2" 2>/dev/null | samtools fixmate -m - "$tmp/fm.bam"
fi
if [ "$mode" = skip_markdup ]; then
  samtools sort -o "$out/aligned.bam" "$tmp/fm.bam"
else
  samtools sort -o "$tmp/s.bam" "$tmp/fm.bam"; samtools markdup "$tmp/s.bam" "$out/aligned.bam"
fi
samtools index "$out/aligned.bam"
bcftools mpileup -f "$tmp/ref.fa" -a AD,DP -Ou "$out/aligned.bam" 2>/dev/null \
  | bcftools call -mv --ploidy "$ploidy" -Ov -o "$tmp/raw.vcf" 2>/dev/null
case "$mode" in
  no_filter) bcftools norm -f "$tmp/ref.fa" -m -any -Ou "$tmp/raw.vcf" \
       | bcftools filter -s LowQual -e 'QUAL<0' -Ov -o "$tmp/calls.vcf" ;;
  qual_depth)
    samtools depth -a "$out/aligned.bam" | awk '{s[$1] += $3; n[$1]++} END {for (c in s) print c "\t" 2 * s[c] / n[c]}' > "$tmp/cap"
    expr="QUAL<20 || INFO/DP<4"
    while IFS=$'\t' read -r chrom cap; do expr="$expr || (CHROM==\"$chrom\" && INFO/DP>$cap)"; done < "$tmp/cap"
    bcftools norm -f "$tmp/ref.fa" -m -any -Ou "$tmp/raw.vcf" | bcftools filter -s HardFilter -e "$expr" -Ov -o "$tmp/calls.vcf" ;;
  qual_only) bcftools norm -f "$tmp/ref.fa" -m -any -Ou "$tmp/raw.vcf" \
       | bcftools filter -s LowQual -e 'QUAL<30' -Ov -o "$tmp/calls.vcf" ;;
  skip_normalisation) bcftools filter -s LowQual -e 'QUAL<20 || INFO/DP<4' -Ov -o "$tmp/calls.vcf" "$tmp/raw.vcf" ;;
  *) bcftools norm -f "$tmp/ref.fa" -m -any -Ou "$tmp/raw.vcf" \
       | bcftools filter -s LowQual -e 'QUAL<20 || INFO/DP<4' -Ov -o "$tmp/calls.vcf" ;;
esac
bgzip -c "$tmp/calls.vcf" > "$out/calls.vcf.gz"; tabix -p vcf "$out/calls.vcf.gz"
bcftools stats -f PASS "$out/calls.vcf.gz" > "$tmp/st"
samtools depth -a "$out/aligned.bam" > "$tmp/depth"
cat > "$out/qc_summary.json" <<JSON
{"total_reads": $(( $(zcat "$in/$r1" | wc -l) / 2 )),
 "mapped_reads": $(samtools view -c -F 0x904 "$out/aligned.bam"),
 "duplicate_reads": $(samtools view -c -f 0x400 -F 0x904 "$out/aligned.bam"),
 "mean_depth": $(awk '{s += $3} END {print s / NR}' "$tmp/depth"),
 "snv_count": $(awk -F'\t' '$3 == "number of SNPs:" {print $4}' "$tmp/st"),
 "indel_count": $(awk -F'\t' '$3 == "number of indels:" {print $4}' "$tmp/st"),
 "ts_tv": $(awk -F'\t' '$1 == "TSTV" {print $5; exit}' "$tmp/st")}
JSON
