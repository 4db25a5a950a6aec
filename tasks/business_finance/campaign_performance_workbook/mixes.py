"""The three accounts: channel mixes, the reporting currency, the rule's parameters and the traps of each export."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Channel:
    name: str
    campaigns: tuple[str, ...]
    daily_spend: float  # per campaign, in the channel's export currency, before the seed's factor
    roas: float  # one of the account's ROAS levels, each drawn for a channel at random (task._deal)
    cpm: float
    ctr: float
    cvr: float
    currency: str


@dataclass(frozen=True)
class Mix:
    account: str
    currency: str  # the reporting currency
    rates: dict  # export currency -> reporting currency units per unit
    target_roas: float
    cut_share: float
    cap_share: float
    paused: tuple[str, str, str]  # channel, campaign, first paused day
    channels: tuple[Channel, ...]


MIXES = {
    "search_social": Mix(
        account="Northwind Outdoor (DTC e-commerce)", currency="USD", rates={"USD": 1.0},
        target_roas=3.0, cut_share=0.30, cap_share=0.40, paused=("Meta", "Retargeting", "2026-08-18"),
        channels=(
            Channel("Google Search", ("Brand", "Generic"), 900, 3.8, 38.0, 0.045, 0.060, "USD"),
            Channel("Meta", ("Prospecting", "Retargeting"), 700, 2.2, 9.5, 0.012, 0.035, "USD"),
            Channel("LinkedIn", ("Thought Leadership",), 400, 1.5, 31.0, 0.006, 0.020, "USD"),
            Channel("Display", ("Awareness", "Remarketing"), 300, 5.0, 3.2, 0.004, 0.030, "USD"),
        )),
    "retail_media": Mix(
        account="Brightleaf Home (marketplace retail)", currency="EUR", rates={"EUR": 1.0, "USD": 0.92},
        target_roas=4.0, cut_share=0.25, cap_share=0.50, paused=("Amazon Ads", "Sponsored Brands", "2026-09-08"),
        channels=(
            Channel("Amazon Ads", ("Sponsored Products", "Sponsored Brands"), 800, 5.6, 12.0, 0.009, 0.110, "EUR"),
            Channel("Google Shopping", ("Smart Shopping", "Standard Shopping"), 600, 4.7, 10.0, 0.011, 0.045, "EUR"),
            Channel("Meta", ("Advantage+",), 700, 3.1, 8.0, 0.010, 0.030, "EUR"),
            Channel("TikTok", ("Spark Ads", "TopView"), 500, 2.5, 6.5, 0.008, 0.018, "USD"),
            Channel("Email", ("Newsletter",), 100, 9.0, 1.0, 0.030, 0.050, "EUR"),
        )),
    "b2b_leadgen": Mix(
        account="Ostara Analytics (B2B SaaS, pipeline revenue)", currency="GBP", rates={"GBP": 1.0, "USD": 0.79},
        target_roas=2.5, cut_share=0.40, cap_share=0.30, paused=("Google Search", "Competitor", "2026-09-01"),
        channels=(
            Channel("LinkedIn", ("ABM", "Lead Gen Forms"), 600, 1.8, 45.0, 0.005, 0.080, "USD"),
            Channel("Google Search", ("Brand", "Competitor"), 500, 3.4, 40.0, 0.050, 0.040, "GBP"),
            Channel("Capterra", ("Category Listing",), 250, 4.2, 20.0, 0.020, 0.090, "GBP"),
            Channel("Programmatic", ("Intent Data", "Retargeting"), 350, 1.3, 4.0, 0.003, 0.015, "GBP"),
        )),
}
