"""Taxonomy: ranks, lineage parsing in every profiler's style, renames and synonyms."""

from .lineage import Lineage, parse_positional, parse_prefixed
from .ranks import RANKS
from .synonyms import aliases, normalise, resolve, same_taxon

__all__ = ["RANKS", "Lineage", "aliases", "normalise", "parse_positional", "parse_prefixed", "resolve",
           "same_taxon"]
