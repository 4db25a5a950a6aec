"""Short-read small-variant calling benchmarked against a simulated truth set.

Workflow: the agent receives a reference FASTA, paired-end Illumina-like FASTQ files and a
sample sheet. It aligns the reads (bwa mem), sorts and indexes the BAM with a read group
(samtools), calls SNVs and indels with the ploidy of the organism (bcftools mpileup/call),
filters the calls, and delivers a bgzipped, indexed VCF plus a JSON QC summary.

Generation: a random reference with locally varying GC and planted homopolymers/short tandem
repeats, a truth set of SNVs and indels (left-aligned, with genotypes), haplotypes carrying
them, and a library sampled from the haplotypes: fragments with PCR substitutions shared by
their PCR duplicates, quality-calibrated sequencing errors and a fraction of unmappable
contaminant pairs. Every scenario also carries the false positives a raw call set reports and
a release filter removes, at random sites drawn like the true variants' sites: unassembled
diverged copies of one segment whose reads pile onto the reference copy at excess depth,
strand-specific systematic errors, context-specific errors at a low allele fraction (diploid;
at low depth, where only the deeper sites can show a minor share), PCR stutter of one unit in
repeat tracts without a true indel (diploid), over-amplified PCR duplicate families carrying a
PCR error, and mixed sites where a minority population keeps the reference base (haploid). Low-pass
data also holds true SNVs as deep as its deepest low-fraction errors, so that no depth limit stands in for
the allele-balance filter. The truth set, the planted artefacts and the expected QC figures (reads,
mappable reads, duplicates, mean depth) go to the reference.

Grade: gates for the files, a valid bgzip VCF with a usable index and a readable sorted,
indexed BAM (both re-read with bcftools/samtools in a sandbox). Then: sample naming, SNV and
indel recall and precision against the truth after left-normalisation (expert thresholds per
scenario), genotype concordance (haploid or diploid), per kind of planted artefact the share
still reported PASS, every FILTER declared with its rationale, the BAM's read group against the sample
sheet, its read, mapped-read and duplicate counts against the truth,
and the QC summary against the BAM recount, the truth depth and a recount of its own VCF.
"""
# ALE-CANARY-fd3889fa-0e43-4760-9067-bc814d2255aa


import gzip
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lastexam.task import Grading, Params, as_number

BASES = "ACGT"
TRANSITION = {"A": "G", "G": "A", "C": "T", "T": "C"}
COMPLEMENT = np.array([3, 2, 1, 0], dtype=np.uint8)
PCR_ERROR_RATE = 4e-4
# Low-fraction traps (context errors, stutter) per haplotype: at least this many reads show the error, so that a
# caller reports it and only an allele-balance filter removes it, and at most this share of the reads.
TRAP_MIN_READS = 4
TRAP_MAX_SHARE = 0.2


@dataclass(frozen=True)
class Traps:
    """False-positive traps planted in one variant's library: (count, lowest rate, highest rate).

    ``strand``: systematic sequencing errors on the reads of one strand (``strand_other``: their
    rate on the other strand); ``low_fraction``:
    context-specific errors on both strands at a low rate; ``stutter``: PCR slippage of one repeat
    unit in repeat tracts that carry no true indel; ``jackpots``: over-amplified fragments carrying
    a PCR error, (count, smallest family, largest family); ``mixed`` (haploid): sites where a minority
    population of the sample keeps the reference base, (count, lowest, highest share of the fragments
    carrying the ALT); ``deep_low_fraction`` (low-pass data, where a context error shows as a minor
    share only where the depth runs high): context errors on ``TRAP_MIN_READS`` reads at sites whose
    reads number (count, fewest, most).
    """

    strand: tuple[int, float, float]
    strand_other: float
    low_fraction: tuple[int, float, float]
    stutter: tuple[int, float, float]
    jackpots: tuple[int, int, int]
    mixed: tuple[int, float, float] = (0, 0.0, 0.0)
    deep_low_fraction: tuple[int, int, int] = (0, 0, 0)


@dataclass(frozen=True)
class Scenario:
    """How one variant's sample is simulated and how strictly its calls are judged."""

    ploidy: int
    contigs: tuple[tuple[str, int, float, float], ...]  # name, length, GC, copy number
    depth: float
    read_length: int
    insert_mean: float
    n_snv: int
    n_indel: int
    str_indel_fraction: float
    n_repeats: int
    het_fraction: float
    contaminant_fraction: float
    duplicate_rate: float
    paralog: tuple[int, float, int]  # unassembled diverged copies of a segment: length, divergence, copies
    traps: Traps
    thresholds: dict[str, float]
    deep_snvs: int = 0  # per deep low-fraction trap (``Traps.deep_low_fraction``), true SNVs as deep as the deepest


SCENARIOS: dict[str, Scenario] = {
    "bacterial_isolate": Scenario(
        ploidy=1,
        contigs=(("chromosome", 52_000, 0.63, 1.0), ("pAMR1", 6_000, 0.55, 3.0)),
        depth=45.0, read_length=150, insert_mean=420.0, n_snv=110, n_indel=14,
        str_indel_fraction=0.3, n_repeats=12, het_fraction=0.0,
        contaminant_fraction=0.03, duplicate_rate=0.12, paralog=(2400, 0.015, 4),
        traps=Traps(strand=(10, 0.9, 1.0), strand_other=0.4, low_fraction=(0, 0.0, 0.0),
                    stutter=(0, 0.0, 0.0), jackpots=(5, 40, 60), mixed=(8, 0.72, 0.76)),
        thresholds={"snv_recall": 0.97, "snv_precision": 0.97, "indel_recall": 0.90,
                    "indel_precision": 0.90, "genotype": 0.98, "artefact_pass": 0.25},
    ),
    "diploid_germline": Scenario(
        ploidy=2,
        contigs=(("chr11_region", 60_000, 0.41, 1.0),),
        depth=30.0, read_length=100, insert_mean=330.0, n_snv=120, n_indel=18,
        str_indel_fraction=0.3, n_repeats=14, het_fraction=0.62,
        contaminant_fraction=0.01, duplicate_rate=0.10, paralog=(2500, 0.012, 2),
        traps=Traps(strand=(10, 0.6, 0.9), strand_other=0.0, low_fraction=(8, 0.1, 0.17),
                    stutter=(5, 0.1, 0.17), jackpots=(6, 10, 16)),
        thresholds={"snv_recall": 0.95, "snv_precision": 0.95, "indel_recall": 0.85,
                    "indel_precision": 0.85, "genotype": 0.95, "artefact_pass": 0.25},
    ),
    "indel_rich": Scenario(
        ploidy=2,
        contigs=(("chr4_region", 55_000, 0.38, 1.0),),
        depth=40.0, read_length=150, insert_mean=400.0, n_snv=70, n_indel=60,
        str_indel_fraction=0.75, n_repeats=60, het_fraction=0.6,
        contaminant_fraction=0.01, duplicate_rate=0.10, paralog=(2600, 0.012, 2),
        traps=Traps(strand=(8, 0.6, 0.9), strand_other=0.0, low_fraction=(8, 0.1, 0.17),
                    stutter=(8, 0.1, 0.17), jackpots=(6, 12, 18)),
        thresholds={"snv_recall": 0.95, "snv_precision": 0.95, "indel_recall": 0.80,
                    "indel_precision": 0.85, "genotype": 0.90, "artefact_pass": 0.25},
    ),
    "low_coverage": Scenario(
        ploidy=2,
        contigs=(("chr2_region", 60_000, 0.42, 1.0),),
        depth=10.0, read_length=100, insert_mean=330.0, n_snv=130, n_indel=20,
        str_indel_fraction=0.3, n_repeats=14, het_fraction=0.6,
        contaminant_fraction=0.01, duplicate_rate=0.25, paralog=(2500, 0.012, 2),
        traps=Traps(strand=(12, 0.95, 1.0), strand_other=0.0, low_fraction=(0, 0.0, 0.0),
                    stutter=(0, 0.0, 0.0), jackpots=(6, 6, 10), deep_low_fraction=(10, 18, 19)),
        thresholds={"snv_recall": 0.85, "snv_precision": 0.93, "indel_recall": 0.70,
                    "indel_precision": 0.80, "genotype": 0.85, "artefact_pass": 0.4},
        deep_snvs=3,
    ),
}

QC_KEYS = ("total_reads", "mapped_reads", "duplicate_reads", "mean_depth", "snv_count", "indel_count", "ts_tv")


# --------------------------------------------------------------------------------------------
# normalisation shared by the truth set and the grader
# --------------------------------------------------------------------------------------------


def normalize(seq: str, pos: int, ref: str, alt: str) -> tuple[int, str, str]:
    """Left-align and trim a VCF allele pair (0-based ``pos``) against ``seq``, as bcftools norm does."""
    while True:
        changed = False
        if ref and alt and ref[-1] == alt[-1] and max(len(ref), len(alt)) > 1:
            ref, alt, changed = ref[:-1], alt[:-1], True
        if (not ref or not alt) and pos > 0:
            pos -= 1
            ref, alt, changed = seq[pos] + ref, seq[pos] + alt, True
        if not changed:
            break
    while len(ref) > 1 and len(alt) > 1 and ref[0] == alt[0]:
        ref, alt, pos = ref[1:], alt[1:], pos + 1
    return pos, ref, alt


# --------------------------------------------------------------------------------------------
# generation
# --------------------------------------------------------------------------------------------


def _random_dna(rng: np.random.Generator, length: int, gc: float) -> np.ndarray:
    """Codes 0-3 (ACGT) with GC drifting around ``gc`` in 1-3 kb blocks."""
    out = np.empty(length, dtype=np.uint8)
    start = 0
    while start < length:
        block = int(rng.integers(1000, 3000))
        local = float(np.clip(rng.normal(gc, 0.04), 0.2, 0.8))
        probs = [(1 - local) / 2, local / 2, local / 2, (1 - local) / 2]
        out[start:start + block] = rng.choice(4, size=min(block, length - start), p=probs)
        start += block
    return out


def _plant_repeats(rng: np.random.Generator, seq: np.ndarray, count: int) -> list[tuple[int, int, int]]:
    """Write homopolymers and 2-4 bp tandem repeats into ``seq``; return (start, end, unit length)."""
    repeats: list[tuple[int, int, int]] = []
    slots = np.sort(rng.choice(np.arange(300, len(seq) - 300, 150), size=count, replace=False))
    for start in slots + rng.integers(0, 60, size=count):
        unit_len = int(rng.choice([1, 1, 2, 2, 3, 4]))
        copies = int(rng.integers(8, 14)) if unit_len == 1 else int(rng.integers(5, 10))
        unit = rng.integers(0, 4, size=unit_len).astype(np.uint8)
        if unit_len > 1 and len(set(unit.tolist())) == 1:
            unit[-1] = (unit[0] + 1) % 4
        tract = np.tile(unit, copies)
        seq[start:start + len(tract)] = tract
        # break the repeat at both ends so the tract boundaries are unambiguous
        if seq[start - 1] == unit[-1]:
            seq[start - 1] = (unit[-1] + 2) % 4
        end = start + len(tract)
        if seq[end] == unit[0]:
            seq[end] = (unit[0] + 2) % 4
        repeats.append((int(start), int(end), unit_len))
    return repeats


def _paralog_site(rng: np.random.Generator, length: int, span: int, tracts: list[tuple[int, int, int]]) -> int:
    """A start for a ``span``-long segment that overlaps no repeat tract."""
    while True:
        start = int(rng.integers(1000, length - 1000 - span))
        if all(start + span + 50 <= a or start - 50 >= b for a, b, _ in tracts):
            return start


@dataclass
class Variant:
    chrom: str
    pos: int  # 0-based, VCF anchor convention for indels
    ref: str
    alt: str
    gt: str  # "1" (haploid), "0/1" or "1/1"
    phase: int  # the haplotype carrying a heterozygous allele

    @property
    def kind(self) -> str:
        return "snv" if len(self.ref) == len(self.alt) else "indel"

    @property
    def end(self) -> int:
        return self.pos + len(self.ref)


@dataclass(frozen=True)
class Artefact:
    """A planted non-variant that the raw call set reports and a release filter must remove.

    ``pos`` is 0-based (the changed base of an SNV, the VCF anchor of an indel); ``strand`` says
    which reads carry a read-level error at ``rate``: +1 forward-strand reads, -1 reverse-strand
    reads, 0 both; the reads of the other strand carry it at ``other_rate``.
    """

    kind: str  # strand_bias, low_fraction, stutter, pcr_jackpot, collapsed_repeat, mixed_site
    chrom: str
    pos: int
    ref: str
    alt: str
    rate: float = 0.0
    strand: int = 0
    other_rate: float = 0.0


class _Sites:
    """Random sites over the contigs (weighted by length), padded by 15 bases, never overlapping."""

    def __init__(self, rng: np.random.Generator, seqs: dict[str, str], taken: dict[str, list[tuple[int, int]]]):
        self.rng, self.seqs, self.taken = rng, seqs, taken
        self.names = list(seqs)
        weights = np.array([len(seqs[n]) for n in self.names], dtype=float)
        self.weights = weights / weights.sum()

    def draw(self, width: int, accept: Callable[[str, int], bool] = lambda name, pos: True) -> tuple[str, int]:
        while True:
            name = self.names[int(self.rng.choice(len(self.names), p=self.weights))]
            pos = int(self.rng.integers(250, len(self.seqs[name]) - 250))
            if _free(self.taken[name], pos - 15, pos + width + 15) and accept(name, pos):
                self.take(name, pos, width)
                return name, pos

    def take(self, name: str, pos: int, width: int) -> None:
        self.taken[name].append((pos - 15, pos + width + 15))

    def free(self, name: str) -> np.ndarray:
        """Per position of ``name``, whether ``draw`` could return it for a width of 1."""
        free = np.zeros(len(self.seqs[name]), dtype=bool)
        free[250:len(free) - 250] = True
        for lo, hi in self.taken[name]:
            free[max(0, lo - 15):max(0, hi + 15)] = False
        return free


def _free(taken: list[tuple[int, int]], lo: int, hi: int) -> bool:
    return all(hi <= a or lo >= b for a, b in taken)


def _variant(rng: np.random.Generator, sc: Scenario, name: str, pos: int, ref: str, alt: str) -> Variant:
    """A true variant with a genotype drawn for the scenario (and, if heterozygous, the haplotype carrying it)."""
    gt = "1" if sc.ploidy == 1 else "0/1" if rng.random() < sc.het_fraction else "1/1"
    return Variant(name, pos, ref, alt, gt, int(rng.integers(0, 2)))


def _snv(rng: np.random.Generator, sc: Scenario, seqs: dict[str, str], name: str, pos: int) -> Variant:
    """A true SNV at ``pos``: a transition two times in three."""
    ref = seqs[name][pos]
    if rng.random() < 2.0 / 3.0:
        alt = TRANSITION[ref]
    else:
        alt = str(rng.choice([b for b in BASES if b not in (ref, TRANSITION[ref])]))
    return _variant(rng, sc, name, pos, ref, alt)


def _make_truth(
    rng: np.random.Generator,
    sc: Scenario,
    seqs: dict[str, str],
    repeats: dict[str, list[tuple[int, int, int]]],
    sites: _Sites,
) -> list[Variant]:
    """Draw SNVs and indels on non-overlapping, padded intervals; indels partly in repeat tracts."""
    names = list(seqs)
    variants: list[Variant] = []

    n_str = round(sc.n_indel * sc.str_indel_fraction)
    tracts = [(n, r) for n in names for r in repeats[n]]
    order = rng.permutation(len(tracts))[:n_str]
    for idx in order:
        name, (start, end, unit) = tracts[int(idx)]
        seq = seqs[name]
        copies = (end - start) // unit
        change = int(rng.choice([1, 1, 1, 2])) if unit > 1 else int(rng.choice([1, 1, 2, 3]))
        change = min(change, copies - 3)
        if rng.random() < 0.5:
            ref, alt = seq[start - 1:start + change * unit], seq[start - 1]
        else:
            ref, alt = seq[start - 1], seq[start - 1] + seq[start:start + change * unit]
        pos, ref, alt = normalize(seq, start - 1, ref, alt)
        variants.append(_variant(rng, sc, name, pos, ref, alt))

    for _ in range(sc.n_indel - n_str):
        size = int(min(12, rng.geometric(0.45)))
        name, pos = sites.draw(size + 1)
        seq = seqs[name]
        if rng.random() < 0.5:
            ref, alt = seq[pos:pos + size + 1], seq[pos]
        else:
            ref, alt = seq[pos], seq[pos] + "".join(rng.choice(list(BASES), size=size))
        pos, ref, alt = normalize(seq, pos, ref, alt)
        variants.append(_variant(rng, sc, name, pos, ref, alt))

    for _ in range(sc.n_snv):
        name, pos = sites.draw(1)
        variants.append(_snv(rng, sc, seqs, name, pos))
    variants.sort(key=lambda v: (names.index(v.chrom), v.pos))
    return [v for i, v in enumerate(variants)
            if i == 0 or variants[i - 1].chrom != v.chrom or variants[i - 1].end + 5 < v.pos]


def _plant_errors(
    rng: np.random.Generator, sc: Scenario, seqs: dict[str, str], repeats: dict[str, list[tuple[int, int, int]]],
    truth: list[Variant], sites: _Sites,
) -> list[Artefact]:
    """Sites of systematic errors, drawn like the true variants' sites so that nothing but the reads tells them apart.

    Stutter goes into repeat tracts that carry no true variant, as a loss (or, less often, a gain) of one unit.
    """
    errors: list[Artefact] = []
    for kind, (count, lo, hi) in (("strand_bias", sc.traps.strand), ("low_fraction", sc.traps.low_fraction)):
        for _ in range(count):
            name, pos = sites.draw(1)
            ref = seqs[name][pos]
            alt = str(rng.choice([b for b in BASES if b != ref]))
            strand = int(rng.choice([-1, 1])) if kind == "strand_bias" else 0
            other = sc.traps.strand_other if kind == "strand_bias" else 0.0
            errors.append(Artefact(kind, name, pos, ref, alt, float(rng.uniform(lo, hi)), strand, other))
    count, lo, hi = sc.traps.stutter
    free = [(name, start, end, unit) for name, tracts in repeats.items() for start, end, unit in tracts
            if unit <= 2 and all(v.chrom != name or v.end + 15 <= start or v.pos >= end + 15 for v in truth)]
    for idx in rng.permutation(len(free))[:count]:
        name, start, _, unit = free[int(idx)]
        seq = seqs[name]
        if rng.random() < 0.75:
            ref, alt = seq[start - 1:start + unit], seq[start - 1]
        else:
            ref, alt = seq[start - 1], seq[start - 1:start + unit]
        pos, ref, alt = normalize(seq, start - 1, ref, alt)
        errors.append(Artefact("stutter", name, pos, ref, alt, float(rng.uniform(lo, hi))))
    return errors


def _haplotype(seq: str, variants: list[Variant]) -> np.ndarray:
    """The sequence with the given (sorted, non-overlapping) variants applied, as codes 0-3."""
    parts: list[str] = []
    cursor = 0
    for v in variants:
        parts.append(seq[cursor:v.pos])
        parts.append(v.alt)
        cursor = v.pos + len(v.ref)
    parts.append(seq[cursor:])
    return _codes("".join(parts))


def _codes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode().translate(bytes.maketrans(b"ACGT", b"\x00\x01\x02\x03")), dtype=np.uint8)


def _qualities(rng: np.random.Generator, n: int, length: int, mate: int) -> np.ndarray:
    """Illumina-like Phred qualities: high early cycles, a quadratic decay, worse on read 2."""
    cycle = np.arange(length) / length
    mean = 37.5 - (9.0 + 3.0 * mate) * cycle**2
    q = mean[None, :] + rng.normal(0, 2.0, size=(n, 1)) + rng.normal(0, 3.0, size=(n, length))
    poor = rng.random(n) < 0.04  # a few reads with a degraded tail
    q[poor] -= 12.0 * cycle[None, :] ** 1.5
    return np.clip(np.rint(q), 2, 41).astype(np.uint8)


def _sequence_errors(rng: np.random.Generator, bases: np.ndarray, quals: np.ndarray) -> np.ndarray:
    """Substitution errors drawn with the probability the quality states."""
    err = rng.random(bases.shape) < 10.0 ** (-quals.astype(float) / 10.0)
    shifted = (bases + rng.integers(1, 4, size=bases.shape, dtype=np.uint8)) % 4
    return np.where(err, shifted, bases).astype(np.uint8)


@dataclass
class Source:
    """One sequence the sample's reads come from: a haplotype of a contig, or the unassembled paralog."""

    chrom: str | None  # None for the paralog, which is not in the reference
    hap: np.ndarray
    pairs: int
    carried: list[Variant]

    def hap_pos(self, pos: int) -> int:
        """The haplotype coordinate of reference position ``pos`` (away from the carried indels)."""
        return pos + sum(len(v.alt) - len(v.ref) for v in self.carried if v.pos < pos)


@dataclass
class Library:
    """Sequenced fragments of one source: forward- and reverse-strand reads and where they came from."""

    fwd: np.ndarray
    rev: np.ndarray
    starts: np.ndarray
    flen: np.ndarray
    minus: np.ndarray  # read 1 is the reverse-strand read

    def mates(self) -> tuple[np.ndarray, np.ndarray]:
        """Read 1 and read 2 of every fragment."""
        return np.where(self.minus[:, None], self.rev, self.fwd), np.where(self.minus[:, None], self.fwd, self.rev)

    def take(self, rows: np.ndarray) -> "Library":
        return Library(self.fwd[rows], self.rev[rows], self.starts[rows], self.flen[rows], self.minus[rows])

    def fwd_index(self, hap_pos: int) -> np.ndarray:
        """Per fragment, the offset of ``hap_pos`` in its forward read (outside [0, read length) if not covered)."""
        return hap_pos - self.starts

    def rev_index(self, hap_pos: int) -> np.ndarray:
        return self.starts + self.flen - 1 - hap_pos

    def covering(self, hap_pos: int) -> tuple[np.ndarray, np.ndarray]:
        """Per fragment, whether its forward and whether its reverse read covers ``hap_pos``."""
        length = self.fwd.shape[1]
        fwd, rev = self.fwd_index(hap_pos), self.rev_index(hap_pos)
        return (fwd >= 0) & (fwd < length), (rev >= 0) & (rev < length)


def _fragments(rng: np.random.Generator, hap: np.ndarray, n: int, read_length: int, insert_mean: float) -> Library:
    """``n`` library fragments of ``hap``, read from both ends.

    Each fragment carries PCR substitutions at a low per-base rate; they are shared by every
    duplicate of the fragment, which is why duplicates must be marked before calling.
    """
    flen = np.clip(np.rint(rng.normal(insert_mean, insert_mean * 0.1, size=n)), read_length, None).astype(int)
    starts = (rng.random(n) * (len(hap) - flen)).astype(int)
    offsets = np.arange(read_length)
    fwd = hap[starts[:, None] + offsets[None, :]]
    rev = COMPLEMENT[hap[(starts + flen - 1)[:, None] - offsets[None, :]]]
    lib = Library(fwd, rev, starts, flen, rng.random(n) < 0.5)
    n_errors = rng.poisson(PCR_ERROR_RATE * flen)
    for i in np.flatnonzero(n_errors):
        for offset in rng.integers(0, flen[i], size=n_errors[i]):
            _mutate_fragment(lib, i, starts[i] + offset, (hap[starts[i] + offset] + int(rng.integers(1, 4))) % 4)
    return lib


def _mutate_fragment(lib: Library, i: int, hap_pos: int, base: int) -> None:
    """Write ``base`` (forward strand) at ``hap_pos`` into both reads of fragment ``i`` where they cover it."""
    length = lib.fwd.shape[1]
    offset = int(lib.fwd_index(hap_pos)[i])
    if 0 <= offset < length:
        lib.fwd[i, offset] = base
    offset = int(lib.rev_index(hap_pos)[i])
    if 0 <= offset < length:
        lib.rev[i, offset] = COMPLEMENT[base]


def _trap_carriers(rng: np.random.Generator, eligible: np.ndarray, rate: float) -> np.ndarray:
    """About ``rate`` of the ``eligible`` reads or fragments, within the low-fraction trap's floor and ceiling."""
    count = max(int(rng.binomial(len(eligible), rate)), TRAP_MIN_READS)
    count = min(count, int(TRAP_MAX_SHARE * len(eligible)))
    return rng.choice(eligible, size=count, replace=False)


def _stutter(rng: np.random.Generator, lib: Library, hap: np.ndarray, hap_pos: int, error: Artefact) -> None:
    """PCR slippage: a share of the fragments whose reads show the tract carry ``error`` (an indel) instead."""
    delta = len(error.alt) - len(error.ref)
    edited = np.concatenate([hap[:hap_pos], _codes(error.alt), hap[hap_pos + len(error.ref):]])
    span = (lib.starts < hap_pos) & (lib.starts + lib.flen > hap_pos + len(error.ref) + 1)
    span &= lib.starts + lib.flen + delta <= len(edited)
    length = lib.fwd.shape[1]
    shows = lambda index: (index >= 0) & (index + len(error.ref) < length)  # noqa: E731
    span &= shows(lib.fwd_index(hap_pos)) | shows(lib.rev_index(hap_pos + len(error.ref)))
    offsets = np.arange(length)
    for i in _trap_carriers(rng, np.flatnonzero(span), error.rate):
        lib.fwd[i] = edited[lib.starts[i] + offsets]
        lib.rev[i] = COMPLEMENT[edited[lib.starts[i] + lib.flen[i] + delta - 1 - offsets]]


def _jackpot(rng: np.random.Generator, lib: Library, hap: np.ndarray, hap_pos: int) -> tuple[int, int] | None:
    """Give one fragment whose reads cover ``hap_pos`` a PCR error there; returns (fragment, new base)."""
    length = lib.fwd.shape[1]
    inner = lambda index: (index >= 10) & (index < length - 10)  # noqa: E731
    covering = np.flatnonzero(inner(lib.fwd_index(hap_pos)) | inner(lib.rev_index(hap_pos)))
    if len(covering) == 0:
        return None
    i = int(rng.choice(covering))
    base = (int(hap[hap_pos]) + int(rng.integers(1, 4))) % 4
    _mutate_fragment(lib, i, hap_pos, base)
    return i, base


def _context_errors(rng: np.random.Generator, lib: Library, hap_pos: int, error: Artefact) -> None:
    """A context-specific sequencing error on both strands: a share of the reads covering ``hap_pos`` show its ALT.

    Drawn before PCR duplication, so a read's duplicates repeat it and marking them leaves the share unchanged.
    """
    alt = BASES.index(error.alt)
    fwd_index, rev_index = lib.fwd_index(hap_pos), lib.rev_index(hap_pos)
    fwd, rev = lib.covering(hap_pos)
    n = len(fwd)
    covering = np.concatenate([np.flatnonzero(fwd), n + np.flatnonzero(rev)])
    for read in _trap_carriers(rng, covering, error.rate):
        if read < n:
            lib.fwd[read, fwd_index[read]] = alt
        else:
            lib.rev[read - n, rev_index[read - n]] = COMPLEMENT[alt]


def _strand_errors(rng: np.random.Generator, lib: Library, hap_pos: int, error: Artefact) -> None:
    """A strand-specific systematic error: reads show its ALT at its rate (the other strand's at ``other_rate``)."""
    alt = BASES.index(error.alt)
    length = lib.fwd.shape[1]
    fwd_rate = error.rate if error.strand >= 0 else error.other_rate
    rev_rate = error.rate if error.strand <= 0 else error.other_rate
    for reads, index, rate, base in ((lib.fwd, lib.fwd_index(hap_pos), fwd_rate, alt),
                                     (lib.rev, lib.rev_index(hap_pos), rev_rate, int(COMPLEMENT[alt]))):
        for i in np.flatnonzero((index >= 0) & (index < length) & (rng.random(len(index)) < rate)):
            reads[i, index[i]] = base


def _sources(
    sc: Scenario, seqs: dict[str, str], truth: list[Variant], paralog: str
) -> list[Source]:
    """The sample's sequences (one per haplotype and contig, plus the unassembled paralog) and their pairs."""
    sources: list[Source] = []
    for name, _, _, copies in sc.contigs:
        mine = [v for v in truth if v.chrom == name]
        pairs = round(sc.depth * copies * len(seqs[name]) / (2 * sc.read_length))
        for hap_index in range(sc.ploidy):
            carried = [v for v in mine if v.gt != "0/1" or v.phase == hap_index]
            n = pairs // sc.ploidy + (pairs % sc.ploidy if hap_index == 0 else 0)
            sources.append(Source(name, _haplotype(seqs[name], carried), n, carried))
    pairs = round(sc.paralog[2] * sc.depth * len(paralog) / (2 * sc.read_length))
    sources.append(Source(None, _codes(paralog), pairs, []))
    return sources


@dataclass
class Sequenced:
    """A source's library before PCR duplication (``unique``) and after (``reads``: row j copies ``copy_of[j]``)."""

    source: Source
    unique: Library
    copy_of: np.ndarray
    reads: Library

    def set_base(self, fragment: int, hap_pos: int, base: int, fwd: bool, rev: bool) -> None:
        """Write ``base`` (forward strand) at ``hap_pos`` into the given reads of ``fragment`` and of its duplicates."""
        rows = np.flatnonzero(self.copy_of == fragment)
        if fwd:
            self.reads.fwd[rows, self.unique.fwd_index(hap_pos)[fragment]] = base
        if rev:
            self.reads.rev[rows, self.unique.rev_index(hap_pos)[fragment]] = COMPLEMENT[base]

    def covering_fragments(self, pos: int) -> np.ndarray:
        """The unique fragments with a read over reference ``pos``."""
        fwd, rev = self.unique.covering(self.source.hap_pos(pos))
        return np.flatnonzero(fwd | rev)

    def set_fragments(self, pos: int, base: int, fragments: np.ndarray) -> None:
        """Write ``base`` (forward strand) at reference ``pos`` into every read of ``fragments`` and their duplicates."""
        hap_pos = self.source.hap_pos(pos)
        fwd, rev = self.unique.covering(hap_pos)
        for i in fragments:
            self.set_base(int(i), hap_pos, base, fwd[i], rev[i])


SiteRead = tuple[Sequenced, int, bool, int]  # library, fragment, whether it is the forward read, cycle


def _site_reads(libraries: list[Sequenced], chrom: str, pos: int) -> list[SiteRead]:
    """The unique reads covering reference ``pos``."""
    reads: list[SiteRead] = []
    for lib in libraries:
        if lib.source.chrom == chrom:
            hap_pos = lib.source.hap_pos(pos)
            fwd, rev = lib.unique.covering(hap_pos)
            fwd_index, rev_index = lib.unique.fwd_index(hap_pos), lib.unique.rev_index(hap_pos)
            reads += [(lib, int(i), True, int(fwd_index[i])) for i in np.flatnonzero(fwd)]
            reads += [(lib, int(i), False, int(rev_index[i])) for i in np.flatnonzero(rev)]
    return reads


def _site_with_reads(
    sites: _Sites, libraries: list[Sequenced], accept: Callable[[list[SiteRead]], bool]
) -> tuple[str, int, list[SiteRead]]:
    """A free site drawn from ``sites`` whose unique reads ``accept`` takes, and those reads."""
    chosen: list[SiteRead] = []

    def take(name: str, pos: int) -> bool:
        chosen[:] = _site_reads(libraries, name, pos)
        return accept(chosen)

    name, pos = sites.draw(1, take)
    return name, pos, chosen


def _read_depths(libraries: list[Sequenced], chrom: str, length: int) -> np.ndarray:
    """Per reference position of ``chrom``, how many unique reads cover it (``_site_reads``, counted)."""
    depths = np.zeros(length, dtype=int)
    for lib in libraries:
        if lib.source.chrom == chrom:
            frags, read_length = lib.unique, lib.unique.fwd.shape[1]
            starts = np.zeros(len(lib.source.hap) + 1, dtype=int)
            for first in (frags.starts, frags.starts + frags.flen - read_length):
                np.add.at(starts, first, 1)
                np.add.at(starts, first + read_length, -1)
            shift = np.zeros(length, dtype=int)
            for v in lib.source.carried:
                shift[v.pos + 1:] += len(v.alt) - len(v.ref)
            depths += np.cumsum(starts)[np.arange(length) + shift]
    return depths


def _site_of_depth(
    rng: np.random.Generator, sites: _Sites, depths: dict[str, np.ndarray], depth: int
) -> tuple[str, int]:
    """A free site of ``sites``, drawn from ``rng`` among those whose reads number ``depth`` (or, if none is left,
    come closest to it), and taken."""
    gap = {name: np.where(sites.free(name), np.abs(d - depth), np.iinfo(int).max) for name, d in depths.items()}
    closest = min(int(g.min()) for g in gap.values())
    candidates = [(name, int(pos)) for name, g in gap.items() for pos in np.flatnonzero(g == closest)]
    name, pos = candidates[int(rng.integers(len(candidates)))]
    sites.take(name, pos, 1)
    return name, pos


def _plant_on_reads(
    rng: np.random.Generator, sc: Scenario, seqs: dict[str, str], libraries: list[Sequenced], sites: _Sites
) -> tuple[list[Artefact], list[Variant]]:
    """Mixed sites, deep low-fraction errors and deep true SNVs, planted on the sequenced libraries from ``rng`` (a
    stream of its own, drawn in that order); returns the artefacts and the true SNVs.

    A mixed site: a minority population of a haploid sample keeps the reference base, so a share of the fragments
    (every read of the fragment) carries the ALT. A deep low-fraction error: ``TRAP_MIN_READS`` reads at a site
    whose reads number within the scenario's bounds show a context-specific error, in the first half of each read
    (high base quality), so that a caller trusts them. Deep true SNVs: for each deep error, the scenario's number of
    true SNVs, all at sites with as many reads as the deepest error's, carried by every read of their haplotypes, so
    that a depth limit that removes any of the errors removes these alleles with them.
    """
    own_sites = _Sites(rng, seqs, sites.taken)
    planted: list[Artefact] = []
    count, lowest, highest = sc.traps.mixed
    for _ in range(count):
        name, pos = own_sites.draw(1)
        ref = seqs[name][pos]
        site = Artefact("mixed_site", name, pos, ref, str(rng.choice([b for b in BASES if b != ref])),
                        float(rng.uniform(lowest, highest)))
        for lib in (lib for lib in libraries if lib.source.chrom == name):
            covering = lib.covering_fragments(pos)
            lib.set_fragments(pos, BASES.index(site.alt),
                              rng.choice(covering, size=round(site.rate * len(covering)), replace=False))
        planted.append(site)
    count, fewest, most = sc.traps.deep_low_fraction
    early = lambda reads: [read for read in reads if read[3] < sc.read_length // 2]  # noqa: E731
    depths: list[int] = []
    for _ in range(count):
        name, pos, reads = _site_with_reads(own_sites, libraries, lambda reads: fewest <= len(reads) <= most
                                            and len(early(reads)) >= TRAP_MIN_READS)
        alt = str(rng.choice([b for b in BASES if b != seqs[name][pos]]))
        carriers = early(reads)
        for k in rng.choice(len(carriers), size=TRAP_MIN_READS, replace=False):
            lib, fragment, forward, _ = carriers[k]
            lib.set_base(fragment, lib.source.hap_pos(pos), BASES.index(alt), forward, not forward)
        planted.append(Artefact("low_fraction", name, pos, seqs[name][pos], alt, TRAP_MIN_READS / len(reads)))
        depths.append(len(reads))
    deep_snvs: list[Variant] = []
    read_depths = {name: _read_depths(libraries, name, len(seqs[name])) for name in seqs} if depths else {}
    for _ in range(sc.deep_snvs * len(depths)):
        name, pos = _site_of_depth(rng, own_sites, read_depths, max(depths))
        snv = _snv(rng, sc, seqs, name, pos)
        haplotypes = [lib for lib in libraries if lib.source.chrom == name]
        for hap, lib in enumerate(haplotypes):
            if snv.gt != "0/1" or snv.phase == hap:
                lib.set_fragments(pos, BASES.index(snv.alt), lib.covering_fragments(pos))
        deep_snvs.append(snv)
    return planted, deep_snvs


def _simulate_reads(
    rng: np.random.Generator, sc: Scenario, seqs: dict[str, str], sources: list[Source], errors: list[Artefact],
    sites: _Sites, trap_rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, int, int, list[Artefact], list[Variant]]:
    """All read pairs, shuffled, with the planted errors.

    Returns (r1, r2, genomic unique pairs, genomic pairs with duplicates, the artefacts planted here: PCR jackpots
    and, from ``trap_rng``, mixed sites and deep low-fraction errors; the deep true SNVs planted from ``trap_rng``).
    """
    count, smallest, largest = sc.traps.jackpots
    jackpot_sites: list[tuple[int, str, int]] = []  # (source index, contig, reference position)
    for _ in range(count):
        name, pos = sites.draw(1)
        jackpot_sites.append((int(rng.choice([k for k, s in enumerate(sources) if s.chrom == name])), name, pos))
    jackpots: list[Artefact] = []
    libraries: list[Sequenced] = []
    for k, src in enumerate(sources):
        lib = _fragments(rng, src.hap, src.pairs, sc.read_length, sc.insert_mean)
        mine = [e for e in errors if e.chrom == src.chrom]
        for error in mine:
            if error.kind == "stutter":
                _stutter(rng, lib, src.hap, src.hap_pos(error.pos), error)
            elif error.kind == "low_fraction":
                _context_errors(rng, lib, src.hap_pos(error.pos), error)
        copies = np.ones(src.pairs, dtype=int)
        amplified = rng.random(src.pairs) < sc.duplicate_rate
        copies[amplified] += np.minimum(rng.geometric(0.45, size=int(amplified.sum())), 5)
        for _, name, pos in (site for site in jackpot_sites if site[0] == k):
            hit = _jackpot(rng, lib, src.hap, src.hap_pos(pos))
            if hit is not None:
                copies[hit[0]] = int(rng.integers(smallest, largest + 1))
                jackpots.append(Artefact("pcr_jackpot", name, pos, seqs[name][pos], BASES[hit[1]]))
        copy_of = np.repeat(np.arange(src.pairs), copies)
        reads = lib.take(copy_of)
        for error in mine:
            if error.kind == "strand_bias":
                _strand_errors(rng, reads, src.hap_pos(error.pos), error)
        libraries.append(Sequenced(src, lib, copy_of, reads))
    planted, deep_snvs = _plant_on_reads(trap_rng, sc, seqs, libraries, sites)
    r1_parts, r2_parts = zip(*(lib.reads.mates() for lib in libraries), strict=True)
    unique = sum(src.pairs for src in sources)
    genomic = sum(len(p) for p in r1_parts)
    n_cont = round(genomic * sc.contaminant_fraction / (1 - sc.contaminant_fraction))
    foreign_r1, foreign_r2 = _fragments(rng, _random_dna(rng, 20_000, 0.5), n_cont, sc.read_length,
                                        sc.insert_mean).mates()
    r1 = np.concatenate([*r1_parts, foreign_r1])
    r2 = np.concatenate([*r2_parts, foreign_r2])
    order = rng.permutation(len(r1))
    return r1[order], r2[order], unique, genomic, [*jackpots, *planted], deep_snvs


def _paralog(
    rng: np.random.Generator, seq: str, start: int, length: int, divergence: float, margin: int
) -> str:
    """A diverged copy of ``seq[start:start+length]``: substitutions at the given rate.

    Differences lie ``margin`` bases inside the copy's ends, where its reads reach full depth.
    """
    copy = list(seq[start:start + length])
    n = max(1, round((length - 2 * margin) * divergence))
    for offset in rng.choice(np.arange(margin, length - margin), size=n, replace=False):
        copy[offset] = str(rng.choice([b for b in BASES if b != copy[offset]]))
    return "".join(copy)


def _fastq(rng: np.random.Generator, reads: np.ndarray, mate: int) -> bytes:
    quals = _qualities(rng, len(reads), reads.shape[1], mate)
    bases = _sequence_errors(rng, reads, quals)
    seq_text = np.frombuffer(b"ACGT", dtype=np.uint8)[bases]
    qual_text = quals + 33
    out = bytearray()
    for i in range(len(reads)):
        tile, y = 1101 + i // 4000, 1000 + i % 4000 * 7
        out += f"@A01432:118:HVKJ5DRX3:1:{tile}:{10000 + i}:{y} {mate}:N:0:GATCAGAT+TTCGAGCA\n".encode()
        out += seq_text[i].tobytes() + b"\n+\n" + qual_text[i].tobytes() + b"\n"
    return bytes(out)


def _fasta(seqs: dict[str, str]) -> str:
    lines: list[str] = []
    for name, seq in seqs.items():
        lines.append(f">{name}")
        lines.extend(seq[i:i + 60] for i in range(0, len(seq), 60))
    return "\n".join(lines) + "\n"


def _ts_tv(pairs: list[tuple[str, str]]) -> float | None:
    ts = sum(1 for r, a in pairs if TRANSITION.get(r) == a)
    tv = len(pairs) - ts
    return ts / tv if tv else None


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    sc = SCENARIOS[params["scenario"]]
    rng = np.random.default_rng(params["seed"])
    seqs: dict[str, str] = {}
    repeats: dict[str, list[tuple[int, int, int]]] = {}
    for name, length, gc, _ in sc.contigs:
        codes = _random_dna(rng, length, gc)
        repeats[name] = _plant_repeats(rng, codes, max(2, sc.n_repeats * length // 60_000))
        seqs[name] = "".join(BASES[c] for c in codes)
    first = sc.contigs[0][0]
    length, divergence, _ = sc.paralog
    start = _paralog_site(rng, len(seqs[first]), length, repeats[first])
    paralog = _paralog(rng, seqs[first], start, length, divergence, margin=round(1.3 * sc.insert_mean))
    collapsed = [Artefact("collapsed_repeat", first, start + offset, seqs[first][start + offset], base)
                 for offset, base in enumerate(paralog) if base != seqs[first][start + offset]]
    # no variant or planted error in the segment with the unassembled paralog, none near a repeat tract
    taken = {n: [(s - 15, e + 15) for s, e, _ in repeats[n]] for n in seqs}
    taken[first].append((start, start + length))
    sites = _Sites(rng, seqs, taken)
    truth = _make_truth(rng, sc, seqs, repeats, sites)
    errors = _plant_errors(rng, sc, seqs, repeats, truth, sites)
    sources = _sources(sc, seqs, truth, paralog)
    r1, r2, unique_pairs, genomic_pairs, planted, deep_snvs = _simulate_reads(
        rng, sc, seqs, sources, errors, sites, np.random.default_rng([int(params["seed"]), 1]))
    truth = sorted([*truth, *deep_snvs], key=lambda v: (list(seqs).index(v.chrom), v.pos))

    (input_dir / "reference.fa").write_text(_fasta(seqs))
    for mate, reads in ((1, r1), (2, r2)):
        data = gzip.compress(_fastq(rng, reads, mate), compresslevel=6, mtime=0)
        (input_dir / f"{params['sample']}_R{mate}.fastq.gz").write_bytes(data)
    layout = f"paired-end 2x{sc.read_length}"
    (input_dir / "sample_sheet.tsv").write_text(
        "sample_id\tread1\tread2\tploidy\tplatform\tlibrary_layout\tlibrary_id\n"
        f"{params['sample']}\t{params['sample']}_R1.fastq.gz\t{params['sample']}_R2.fastq.gz\t{sc.ploidy}"
        f"\tILLUMINA\t{layout}\tLIB-{params['sample']}-01\n"
    )

    genome = sum(len(s) for s in seqs.values())
    reference = {
        "scenario": params["scenario"],
        "sample": params["sample"],
        "ploidy": sc.ploidy,
        "thresholds": sc.thresholds,
        "total_reads": int(2 * len(r1)),
        "mappable_reads": int(2 * genomic_pairs),
        "duplicate_reads": int(2 * (genomic_pairs - unique_pairs)),
        "mean_depth": 2 * unique_pairs * sc.read_length / genome,
        "variants": [
            {"chrom": v.chrom, "pos": v.pos + 1, "ref": v.ref, "alt": v.alt, "gt": v.gt, "kind": v.kind}
            for v in truth
        ],
        "artefacts": [
            {"kind": a.kind, "chrom": a.chrom, "pos": a.pos + 1, "ref": a.ref, "alt": a.alt,
             "rate": round(a.rate, 3), "strand": a.strand}
            for a in sorted([*errors, *planted, *collapsed], key=lambda a: (list(seqs).index(a.chrom), a.pos))
        ],
    }
    (reference_dir / "truth.json").write_text(json.dumps(reference, indent=1))


# --------------------------------------------------------------------------------------------
# grading
# --------------------------------------------------------------------------------------------


@dataclass
class Call:
    chrom: str
    pos: int  # 1-based
    ref: str
    alt: str
    gt: str

    @property
    def kind(self) -> str:
        return "snv" if len(self.ref) == len(self.alt) else "indel"


CallKey = tuple[str, int, str, str]  # chrom, 1-based position, REF, ALT


def parse_vcf(text: str) -> tuple[list[str], list[Call]]:
    """Sample names and the passing, called ALT alleles of a (split, normalised) VCF."""
    samples: list[str] = []
    calls: list[Call] = []
    for line in text.splitlines():
        if line.startswith("##") or not line.strip():
            continue
        fields = line.rstrip("\n").split("\t")
        if line.startswith("#CHROM"):
            samples = fields[9:]
            continue
        if len(fields) < 8 or fields[6] not in ("PASS", "."):
            continue
        alt = fields[4].upper()
        if alt in (".", "*") or alt.startswith("<") or not re.fullmatch(r"[ACGTN]+", alt):
            continue
        gt = ""
        if len(fields) >= 10:
            keys = fields[8].split(":")
            values = fields[9].split(":")
            if "GT" in keys and keys.index("GT") < len(values):
                gt = values[keys.index("GT")]
        if gt and all(a in ("0", ".") for a in re.split(r"[/|]", gt)):
            continue
        try:
            pos = int(fields[1])
        except ValueError:
            continue
        calls.append(Call(fields[0], pos, fields[3].upper(), alt, gt))
    return samples, calls


def undeclared_filters(text: str) -> list[str]:
    """FILTER values used by the records of a VCF that no ``##FILTER`` header line declares with a description."""
    declared = set(re.findall(r'^##FILTER=<ID=([^,>]+),\s*Description="[^"]+"', text, re.M))
    used: set[str] = set()
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) >= 7 and fields[6] not in ("PASS", "."):
            used.update(fields[6].split(";"))
    return sorted(used - declared)


# Planted false positives, by kind: what a release filter must catch, and how the grader names it.
ARTEFACT_CHECKS = {
    "collapsed_repeat": "calls from the unassembled multi-copy repeat (excess depth)",
    "strand_bias": "calls from strand-specific systematic errors (strand bias)",
    "low_fraction": "calls from context-specific errors at a low allele fraction",
    "stutter": "indel calls from PCR stutter in repeat tracts (low allele fraction)",
    "pcr_jackpot": "calls carried by one PCR duplicate family (duplicates not marked)",
    "mixed_site": "haploid calls at mixed sites (a minority population keeps the reference allele)",
}
def _grade_artefacts(g: Grading, truth: dict[str, Any], found: dict[CallKey, Call]) -> None:
    """One check per kind of planted false positive: few of its sites reported PASS.

    The scenario's ``artefact_pass`` share (rounded up) may pass: at 10x depth a strand-specific
    error with three reads cannot be told from an allele.
    """
    for kind, label in ARTEFACT_CHECKS.items():
        planted = [a for a in truth["artefacts"] if a["kind"] == kind]
        if not planted:
            continue
        passing = [a for a in planted if (a["chrom"], a["pos"], a["ref"], a["alt"]) in found]
        allowed = math.ceil(truth["thresholds"]["artefact_pass"] * len(planted))
        g.check(f"{label} are filtered", len(passing) <= allowed, weight=1.0,
                expected=f"at most {allowed} of {len(planted)} planted sites PASS", found=f"{len(passing)} PASS",
                reason="; ".join(f"{a['chrom']}:{a['pos']} {a['ref']}>{a['alt']}" for a in passing[:8]))


def _ratio_check(g: Grading, name: str, value: float | None, threshold: float, detail: str, weight: float) -> None:
    if value is None:
        g.check(name, False, weight=weight, expected=f">= {threshold}", found=None, reason=detail)
        return
    score = 1.0 if value >= threshold else value / threshold * 0.8
    g.check(name, score, weight=weight, expected=f">= {threshold}", found=round(value, 4),
            reason="" if value >= threshold else detail)


def _genotype_ok(found: str, expected: str, ploidy: int) -> bool:
    alleles = [a for a in re.split(r"[/|]", found) if a]
    if ploidy == 1:
        return alleles == ["1"]
    return sorted(alleles) == sorted(expected.split("/"))


def _vcf_index(g: Grading) -> str | None:
    for suffix in (".tbi", ".csi"):
        path = g.output("calls.vcf.gz" + suffix)
        if path.is_file() and path.stat().st_size > 0:
            return "calls.vcf.gz" + suffix
    return None


def _is_bgzf(path: Path) -> bool:
    head = path.read_bytes()[:18]
    return len(head) >= 18 and head[:4] == b"\x1f\x8b\x08\x04" and head[12:14] == b"BC"


def _grade_calls(g: Grading, truth: dict[str, Any], calls: list[Call]) -> dict[CallKey, Call]:
    th = truth["thresholds"]
    expected = {(v["chrom"], v["pos"], v["ref"], v["alt"]): v for v in truth["variants"]}
    found = {(c.chrom, c.pos, c.ref, c.alt): c for c in calls}
    for kind in ("snv", "indel"):
        want = {k for k, v in expected.items() if v["kind"] == kind}
        got = {k for k, c in found.items() if c.kind == kind}
        tp = len(want & got)
        recall = tp / len(want) if want else None
        precision = tp / len(got) if got else None
        _ratio_check(g, f"{kind} recall", recall, th[f"{kind}_recall"],
                     f"{tp} of {len(want)} true {kind}s called", weight=2.0)
        _ratio_check(g, f"{kind} precision", precision, th[f"{kind}_precision"],
                     f"{len(got) - tp} of {len(got)} PASS {kind} calls are not in the truth set", weight=2.0)
    matched = [(found[k], v) for k, v in expected.items() if k in found]
    good = sum(_genotype_ok(c.gt, v["gt"], truth["ploidy"]) for c, v in matched)
    concordance = good / len(matched) if matched else None
    what = "haploid GT '1'" if truth["ploidy"] == 1 else "diploid GT matching the truth (0/1 vs 1/1)"
    _ratio_check(g, "genotype concordance", concordance, th["genotype"],
                 f"{good} of {len(matched)} true-positive calls have the expected {what}", weight=1.5)
    _grade_artefacts(g, truth, found)
    return found


def _sample_sheet(path: Path) -> dict[str, str]:
    """The sample sheet's one data row, by column name."""
    header, row = path.read_text().splitlines()[:2]
    return dict(zip(header.split("\t"), row.split("\t"), strict=True))


def _grade_bam(g: Grading, truth: dict[str, Any]) -> dict[str, int] | None:
    """BAM gates, read group, all-read, mapped and duplicate counts; returns the recounts or None."""
    result = g.run_tool(
        ["bash", "-c",
         "samtools quickcheck aligned.bam && samtools view -H aligned.bam > header.txt && "
         "samtools idxstats aligned.bam > idxstats.txt && samtools view -c -F 0x904 aligned.bam > mapped.txt && "
         "samtools view -c -f 0x400 -F 0x904 aligned.bam > dups.txt && samtools view -c -F 0x900 aligned.bam > primary.txt"],
        files={"aligned.bam": g.output("aligned.bam"), "aligned.bam.bai": g.output("aligned.bam.bai")},
        timeout=60,
    )
    if not g.check("aligned.bam is a readable BAM with a usable index", result.ok, gate=True,
                   reason="" if result.ok else result.stderr[-400:]):
        return None
    header = (result.workdir / "header.txt").read_text(errors="replace")
    counts = {name: int((result.workdir / f"{name}.txt").read_text().strip() or 0)
              for name in ("mapped", "dups", "primary")}
    sorted_ok = bool(re.search(r"^@HD\t.*SO:coordinate", header, re.M))
    sheet = _sample_sheet(g.input_dir / "sample_sheet.tsv")
    wanted = {"SM": truth["sample"], "PL": sheet["platform"], "LB": sheet["library_id"]}
    groups = [dict(tag.split(":", 1) for tag in line.split("\t")[1:] if ":" in tag)
              for line in header.splitlines() if line.startswith("@RG\t")]
    named = bool(groups) and all(
        group.get("SM") == wanted["SM"] and group.get("LB") == wanted["LB"]
        and group.get("PL", "").upper() == wanted["PL"].upper() for group in groups)
    g.check("BAM is coordinate-sorted with a read group naming the sample, platform and library",
            sorted_ok and named, expected={"SO": "coordinate", **wanted},
            found={"sorted": sorted_ok, "read groups": [{t: grp.get(t) for t in wanted} for grp in groups]})
    g.number("BAM holds every read once as a primary record, mapped or not", counts["primary"],
             truth["total_reads"], abs_tol=0.5)
    g.number("BAM primary mapped reads match the mappable reads", counts["mapped"], truth["mappable_reads"],
             rel_tol=0.01)
    g.number("BAM has the PCR duplicates marked (pairs by both mates' positions)", counts["dups"],
             truth["duplicate_reads"], rel_tol=0.03)
    return counts


def _grade_summary(
    g: Grading, truth: dict[str, Any], calls: dict[CallKey, Call] | None, bam: dict[str, int] | None
) -> None:
    summary = g.read_json("qc_summary.json")
    if summary is None:
        return
    if not isinstance(summary, dict):
        g.check("qc_summary.json is an object", False, gate=True, found=type(summary).__name__)
        return
    missing = [k for k in QC_KEYS if k not in summary]
    if not g.check("qc_summary.json has the required fields", not missing, gate=True,
                   expected=list(QC_KEYS), found=sorted(summary), reason=f"missing: {missing}" if missing else ""):
        return
    g.number("QC total reads", summary["total_reads"], truth["total_reads"], abs_tol=0.5)
    bam = bam or {"mapped": truth["mappable_reads"], "dups": truth["duplicate_reads"]}
    g.number("QC mapped reads agree with the BAM", summary["mapped_reads"], bam["mapped"], rel_tol=0.002, abs_tol=1)
    g.number("QC duplicate reads agree with the BAM", summary["duplicate_reads"], bam["dups"],
             rel_tol=0.002, abs_tol=1)
    g.number("QC mean depth", summary["mean_depth"], truth["mean_depth"], rel_tol=0.02)
    if calls is None:
        g.check("QC call counts and Ts/Tv agree with the VCF", False, reason="VCF could not be read")
        return
    snvs = [c for c in calls.values() if c.kind == "snv"]
    indels = [c for c in calls.values() if c.kind == "indel"]
    ratio = _ts_tv([(c.ref, c.alt) for c in snvs if len(c.ref) == 1])
    counts_ok = as_number(summary["snv_count"]) == len(snvs) and as_number(summary["indel_count"]) == len(indels)
    tstv = as_number(summary["ts_tv"])
    tstv_ok = ratio is not None and tstv is not None and abs(tstv - ratio) <= max(0.02, 0.01 * ratio)
    g.check("QC call counts and Ts/Tv agree with the PASS records of the VCF", counts_ok and tstv_ok,
            expected={"snv_count": len(snvs), "indel_count": len(indels), "ts_tv": ratio and round(ratio, 3)},
            found={k: summary[k] for k in ("snv_count", "indel_count", "ts_tv")})


def grade(g: Grading) -> None:
    truth = g.reference_json("truth.json")
    if not g.require_files("aligned.bam", "aligned.bam.bai", "calls.vcf.gz", "qc_summary.json"):
        return
    index = _vcf_index(g)
    if not g.check("VCF index present (calls.vcf.gz.tbi or .csi)", index is not None, gate=True):
        return
    bgzf = _is_bgzf(g.output("calls.vcf.gz"))
    if not g.check("calls.vcf.gz is bgzip-compressed", bgzf, gate=True,
                   reason="" if bgzf else "not BGZF (plain gzip or uncompressed)"):
        return
    result = g.run_tool(
        ["bash", "-c",
         "bcftools index -n calls.vcf.gz > nrec.txt && "
         "bcftools norm -m -any -Ov -o split.vcf calls.vcf.gz && "
         "bcftools norm -f reference.fa -c w -m -any -Ov -o norm.vcf calls.vcf.gz"],
        files={"calls.vcf.gz": g.output("calls.vcf.gz"), f"calls.vcf.gz{index[-4:]}": g.output(index),
               "reference.fa": g.input_dir / "reference.fa"},
        timeout=60,
    )
    calls: dict[CallKey, Call] | None = None
    if g.check("VCF and index are readable by bcftools", result.ok, gate=True,
               reason="" if result.ok else result.stderr[-400:]):
        # Calls are benchmarked as submitted (multi-allelic records split): an indel that is not
        # left-aligned and parsimonious does not match the truth set, and the check below names it.
        samples, parsed = parse_vcf((result.workdir / "split.vcf").read_text(errors="replace"))
        _, normalised = parse_vcf((result.workdir / "norm.vcf").read_text(errors="replace"))
        g.check("VCF has exactly the one sample, named as in the sample sheet", samples == [truth["sample"]],
                expected=[truth["sample"]], found=samples)
        key = lambda c: (c.chrom, c.pos, c.ref, c.alt)  # noqa: E731
        moved = sorted({key(c) for c in parsed} - {key(c) for c in normalised})
        g.check("PASS indels are left-aligned and normalised against reference.fa", not moved,
                expected="bcftools norm -f leaves every PASS record unchanged", found=f"{len(moved)} records change",
                reason="; ".join(f"{c}:{p} {r}>{a}" for c, p, r, a in moved[:6]))
        undeclared = undeclared_filters((result.workdir / "split.vcf").read_text(errors="replace"))
        g.check("every FILTER used is declared in the header with its rationale", not undeclared,
                expected="a ##FILTER=<ID=...,Description=...> line per filter", found=undeclared,
                reason=f"undeclared: {', '.join(undeclared[:8])}" if undeclared else "")
        calls = _grade_calls(g, truth, parsed)
    bam = _grade_bam(g, truth)
    _grade_summary(g, truth, calls, bam)
