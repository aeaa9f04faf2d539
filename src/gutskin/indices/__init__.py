"""Published gut-health indices, one module each, each stating its paper, formula and validity domain.

=====================  ===========================================================  ======================
function               index                                                        built on
=====================  ===========================================================  ======================
:func:`gmhi`           Gut Microbiome Health Index (Gupta et al. 2020)              MetaPhlAn 2 species
:func:`gmwi2`          Gut Microbiome Wellness Index 2 (Chang et al. 2024)          MetaPhlAn 3 clades
:func:`gevers_md`      Microbial dysbiosis index (Gevers et al. 2014, QIIME 1)      16S genera
:func:`hmp2_dysbiosis` HMP2 dysbiosis score (Lloyd-Price et al. 2019)               a reference set
=====================  ===========================================================  ======================

Modules are named for the index and its paper's year (``gmhi_2020``, ``gmwi2_2024``, ``gevers_2014``,
``hmp2_2019``), so ``gutskin.indices.gmhi`` is only ever the function. Each ``name(profile)`` returns a
pandas Series by sample whose ``attrs`` carry ``coverage`` and ``warnings``; each ``name_result(profile)``
returns an :class:`IndexResult` with values, coverage, warnings, contributing taxa and intermediate details.
Applied to input in another naming, an index is still computed where that makes sense, and says how much of its
signature it could find.
"""

from __future__ import annotations

from ._common import IndexInfo, IndexResult, Naming
from .gevers_2014 import gevers_md, gevers_md_result
from .gmhi_2020 import gmhi, gmhi_result
from .gmwi2_2024 import gmwi2, gmwi2_result
from .hmp2_2019 import hmp2_dysbiosis, hmp2_dysbiosis_result

__all__ = [
    "IndexInfo",
    "IndexResult",
    "Naming",
    "gevers_md",
    "gevers_md_result",
    "gmhi",
    "gmhi_result",
    "gmwi2",
    "gmwi2_result",
    "hmp2_dysbiosis",
    "hmp2_dysbiosis_result",
]
