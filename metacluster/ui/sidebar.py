"""The sidebar: data source, filters and view options, all mirrored in the URL.

The URL is the single source of truth. Each run reads the view from ``st.query_params``
(``state.view_from_params``) and sets the widgets' session values from it; each widget's
``on_change`` callback writes the new view back to the URL before the rerun. A copied URL
therefore reopens the same view, and widgets that were not drawn for a while (presentation
mode) come back with the right values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, Final, Literal

import streamlit as st

from metacluster._errors import ManifestError
from metacluster.filter import FilterOptions, Filters, country_label
from metacluster.nuts import YEARS as NUTS_YEARS
from metacluster.schema import HELIX_LABELS, HELIX_VALUES
from metacluster.ui import data, upload, workspace
from metacluster.ui import links as links_ui
from metacluster.ui.guard import escape_markdown
from metacluster.ui.state import LAYERS, METRICS, Shown, View, view_from_params, view_to_params

HELIX: Final = "f_helix"
CLUSTERS: Final = "f_cluster"
COUNTRIES: Final = "f_country"
NUTS: Final = "f_nuts"
THEMES: Final = "f_theme"
THEMES_ALL: Final = "f_themes_all"
SEARCH: Final = "f_q"
MANIFEST: Final = "src_manifest"
METRIC: Final = "v_metric"
LEVEL: Final = "v_level"
YEAR: Final = "v_year"
BASEMAP: Final = "v_basemap"
PRESENT: Final = "v_present"
MAP_OPTIONS: Final = "map_options"
MORE_FILTERS: Final = "more_filters"
LAYER_KEYS: Final = {layer: f"v_layer_{layer}" for layer in LAYERS}
_DEFAULT_YEAR: Final = "_default_year"
_MANIFEST_STEMS: Final = "_manifest_stems"

LEVEL_LABELS: Final = {
    0: "NUTS 0 — countries",
    1: "NUTS 1 — major regions",
    2: "NUTS 2 — regions",
    3: "NUTS 3 — small regions",
}


def _url_params() -> dict[str, list[str]]:
    return {key: st.query_params.get_all(key) for key in st.query_params}


def url_view(*, warn: bool = True) -> View:
    """The view the URL describes; a bad link shows a warning and the default view."""
    try:
        return view_from_params(_url_params(), default_online=data.online_basemap_default())
    except ValueError as error:
        if warn:
            st.warning(
                f"Part of this link could not be used ({escape_markdown(error)}); showing the "
                "default view."
            )
        return View()


def write_url(view: View) -> None:
    """Put the view into the URL (only when it changed, to keep the history clean)."""
    params = view_to_params(view, default_online=data.online_basemap_default())
    if params != _url_params():
        st.query_params.from_dict(params)


def _widget_view(base: View) -> View:
    """The view the widgets describe, on top of ``base`` (what no widget shows: bbox…)."""
    state = st.session_state
    filters = Filters(
        helix=state.get(HELIX, base.filters.helix),
        clusters=state.get(CLUSTERS, base.filters.clusters),
        countries=state.get(COUNTRIES, base.filters.countries),
        nuts=tuple(
            dict.fromkeys(code.lstrip(NAME_FIRST) for code in state.get(NUTS, base.filters.nuts))
        ),
        themes=state.get(THEMES, base.filters.themes),
        themes_mode="all" if state.get(THEMES_ALL, base.filters.themes_mode == "all") else "any",
        search=state.get(SEARCH, base.filters.search) or "",
        bbox=base.filters.bbox,
    )
    # The year widget always shows a year; the URL names it only when it is not the
    # dataset's own (``_DEFAULT_YEAR``), and keeps it while other widgets change.
    chosen = state.get(YEAR, base.year)
    year = base.year if chosen == (base.year or state.get(_DEFAULT_YEAR)) else chosen
    return replace(
        base,
        filters=filters,
        metric=state.get(METRIC, base.metric),
        level=state.get(LEVEL, base.level),
        year=year,
        layers=tuple(
            layer for layer, key in LAYER_KEYS.items() if state.get(key, layer in base.layers)
        ),
        link_ends=(
            "either" if state.get(links_ui.EITHER_END, base.link_ends == "either") else "both"
        ),
        online_basemap=state.get(BASEMAP, base.online_basemap),
        present=state.get(PRESENT, base.present),
    )


def _on_change() -> None:
    """Any filter or view widget changed: the URL follows; the tour starts over."""
    current = url_view(warn=False)
    view = _widget_view(current)
    if view.filters != current.filters:
        view = replace(view, step=0)
    write_url(view)


def _on_manifest() -> None:
    """Another meta-cluster: its own clusters and regions, so the filters start empty."""
    stems: Mapping[str, str] = st.session_state.get(_MANIFEST_STEMS, {})
    view = url_view(warn=False)
    write_url(
        replace(view, manifest=stems.get(st.session_state[MANIFEST], ""), filters=Filters(), step=0)
    )


def _on_reset() -> None:
    write_url(replace(url_view(warn=False), filters=Filters(), step=0))


def _set_widgets(view: View, dataset_year: int) -> None:
    """Widget values from the view (the URL), before the widgets are drawn."""
    filters = view.filters
    values: dict[str, Any] = {
        HELIX: list(filters.helix),
        CLUSTERS: list(filters.clusters),
        COUNTRIES: list(filters.countries),
        NUTS: list(filters.nuts),
        THEMES: list(filters.themes),
        THEMES_ALL: filters.themes_mode == "all",
        SEARCH: filters.search,
        METRIC: view.metric,
        LEVEL: view.level,
        YEAR: view.year or dataset_year,
        BASEMAP: view.online_basemap,
        PRESENT: view.present,
        links_ui.EITHER_END: view.link_ends == "either",
        _DEFAULT_YEAR: dataset_year,
        **{key: layer in view.layers for layer, key in LAYER_KEYS.items()},
    }
    if MORE_FILTERS not in st.session_state and (
        filters.nuts or filters.themes or filters.themes_mode == "all"
    ):
        values[MORE_FILTERS] = True  # a link opens with the filters it sets in sight
    for key, value in values.items():
        st.session_state[key] = value


def data_source(view: View) -> data.Dataset:
    """The dataset to show: the benchmark override, an upload, or a bundled manifest
    (chosen in the sidebar by its partnership title, or by ``?manifest=`` in the URL)."""
    override = data.override_path()
    if override is not None:
        if not view.present:
            st.sidebar.caption(f"Data: `{override.name}` ({data.DATA_OVERRIDE_ENV})")
        return data.load_override(override)
    shared = workspace.data_source(present=view.present)
    if shared is not None:
        return shared
    titles = data.manifests()
    if not titles:
        raise ManifestError(
            f"No manifest in {data.LAYERS_FOLDER}: add a layers/*.toml or upload map files."
        )
    stems = {title: path.stem for title, path in titles.items()}
    by_stem = {stem: title for title, stem in stems.items()}
    title = by_stem.get(view.manifest)
    if title is None:
        if view.manifest:
            st.warning(
                f"No meta-cluster named {escape_markdown(repr(view.manifest))} in layers/; "
                "showing the first."
            )
        title = next(iter(titles))
    if not view.present:
        st.session_state[_MANIFEST_STEMS] = stems
        st.session_state[MANIFEST] = title
        st.sidebar.selectbox(
            "Meta-cluster",
            list(titles),
            key=MANIFEST,
            on_change=_on_manifest,
            help="The partnership whose regional maps are merged and shown.",
        )
    uploaded = upload.uploader(view, year=view.year)
    if uploaded is not None:
        return uploaded
    return data.load_manifest_dataset(titles[title], view.year)


def _multiselect(
    label: str,
    options: list[str],
    key: str,
    *,
    format_func: Callable[[Any], str] = str,
    help: str | None = None,
    filter_mode: Literal["contains", "prefix"] = "contains",
) -> None:
    """A filter list: typing narrows the options by substring (or prefix), and Enter picks
    the first match, never "all matches"."""
    chosen = [value for value in st.session_state.get(key, []) if value not in options]
    st.multiselect(
        label,
        [*options, *chosen],
        key=key,
        format_func=format_func,
        on_change=_on_change,
        help=help,
        placeholder="All",
        filter_mode=filter_mode,
        select_all=False,
    )


NAME_FIRST: Final = "~"
"""Marks the second entry of a NUTS region in the list, the one labelled name first."""


def nuts_options(regions: Mapping[str, str]) -> tuple[list[str], Callable[[str], str]]:
    """The NUTS region list and its labels: every region by code ("ES — España"), sorted
    by code, then again by name ("España — ES") so that typing the start of either finds
    it (the list matches by prefix: "ES" finds Spain and its regions, not "Hessen")."""
    named = sorted((name, code) for code, name in regions.items() if name)
    options = [*regions, *(NAME_FIRST + code for _, code in named)]

    def label(value: str) -> str:
        code = value.lstrip(NAME_FIRST)
        name = regions.get(code, "")
        if not name:
            return code
        return f"{name} — {code}" if value.startswith(NAME_FIRST) else f"{code} — {name}"

    return options, label


def _more_filters(options: FilterOptions) -> None:
    """The NUTS region and theme filters. Folded away until opened (a link that sets them
    opens with them open): their lists hold hundreds of entries, and the browser draws
    every widget on the page again on each filter change (these three cost about 50 ms of
    it); their values come from the URL whether they are drawn or not, and the header
    names them."""
    nuts_list, nuts_label = nuts_options(options.nuts)
    _multiselect(
        "NUTS region",
        nuts_list,
        NUTS,
        format_func=nuts_label,
        help="Type the start of a code (ES, ITI1) or of a name (Toscana); every level is "
        "offered, sorted by code.",
        filter_mode="prefix",
    )
    _multiselect("Themes", list(options.themes), THEMES)
    st.toggle("Actors must have all the themes", key=THEMES_ALL, on_change=_on_change)


def _map_options() -> None:
    """How the map draws the regions: their metric, level and NUTS version, the layers,
    the links and the basemap. Folded away by default: every widget on the page is drawn
    again in the browser on every filter change (these nine cost about 0.1 s of it), and
    their values come from the URL whether they are drawn or not."""
    st.selectbox(
        "Colour regions by",
        list(METRICS),
        key=METRIC,
        on_change=_on_change,
        format_func=lambda metric: METRICS[metric][0],
    )
    st.selectbox(
        "Region level",
        list(LEVEL_LABELS),
        key=LEVEL,
        on_change=_on_change,
        format_func=LEVEL_LABELS.__getitem__,
    )
    st.selectbox(
        "NUTS version",
        list(NUTS_YEARS),
        key=YEAR,
        on_change=_on_change,
        help="The actors are joined again to the regions of this version.",
    )
    for layer, key in LAYER_KEYS.items():
        st.toggle(f"Show {layer}", key=key, on_change=_on_change)
    links_ui.sidebar_options(on_change=_on_change)
    st.toggle(
        "Online basemap",
        key=BASEMAP,
        on_change=_on_change,
        help="Street map tiles from Carto (needs the internet; on by default when they "
        "answer). Off: countries only, works offline.",
    )


def controls(dataset: data.Dataset, view: View) -> Shown:
    """Filters and view options (not drawn in presentation mode), the live count, and the
    filtered actors."""
    if view.present:
        return Shown(dataset, view, data.filtered(dataset, view.filters))
    _set_widgets(view, dataset.nuts_year)
    options = data.filter_options(dataset.version, dataset)
    with st.sidebar:
        st.subheader("Filters")
        count = st.empty()
        _multiselect("Helix", list(HELIX_VALUES), HELIX, format_func=HELIX_LABELS.__getitem__)
        _multiselect("Regional cluster", list(options.clusters), CLUSTERS)
        _multiselect("Country", list(options.countries), COUNTRIES, format_func=country_label)
        more = st.expander(
            "NUTS region & themes",
            key=MORE_FILTERS,
            on_change="rerun",
            icon=":material/filter_list:",
        )
        if more.open:  # drawn only when opened: see ``_more_filters``
            with more:
                _more_filters(options)
        st.text_input(
            "Search", key=SEARCH, on_change=_on_change, placeholder="name, description or city"
        )
        st.button("Reset filters", on_click=_on_reset, icon=":material/restart_alt:")
        map_options = st.expander(
            "Map options", key=MAP_OPTIONS, on_change="rerun", icon=":material/tune:"
        )
        if map_options.open:  # drawn only when opened: see ``_map_options``
            with map_options:
                _map_options()
        st.toggle(
            "Presentation mode",
            key=PRESENT,
            on_change=_on_change,
            help="Large type, full-width map, a tour through the regional clusters.",
        )
    actors = data.filtered(dataset, view.filters)
    count.markdown(f"**{len(actors):,} of {len(dataset.actors):,} actors**")
    return Shown(dataset, view, actors)
