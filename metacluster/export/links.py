"""Links export: RFC 7946 GeoJSON LineStrings, a CSV edge list, GraphML and GEXF (Gephi).

GeoJSON carries the same ``metadata`` member as the actor exports (what, filters, counts,
generation time, attribution). The CSV edge list gives both ends' coordinates, as kepler.gl
and spreadsheets want them. GraphML and GEXF are written by networkx, one node per linked
actor (name, helix, cluster, NUTS-3, lon/lat) and one edge per link (kind, label, year,
weight, projects); the GEXF date is the generation date, so equal inputs give equal bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from metacluster.export.csv import LIST_SEPARATOR, frame_to_csv
from metacluster.export.geojson import MEDIA_TYPE, generation_time, write_geojson
from metacluster.links import actor_nuts, primary_cluster

if TYPE_CHECKING:
    import networkx as nx


@dataclass(frozen=True)
class LinksJob:
    """What one links export writes: the edges, the actors they link, the metadata."""

    edges: gpd.GeoDataFrame
    actors: pd.DataFrame
    metadata: Mapping[str, Any]
    generated_at: dt.datetime | str | None


LinkWriter = Callable[[BinaryIO, LinksJob], None]


@dataclass(frozen=True)
class LinkFormat:
    """A links export format: name, file extension, media type and writer."""

    name: str
    extension: str
    media_type: str
    writer: LinkWriter


def write_links_geojson(out: BinaryIO, job: LinksJob) -> None:
    """Links as a FeatureCollection of LineStrings (source to target)."""
    metadata = {"what": "links", **job.metadata}
    write_geojson(job.edges, out, metadata=metadata, generated_at=job.generated_at)


def links_table(edges: gpd.GeoDataFrame) -> pd.DataFrame:
    """The edge list with both ends' lon/lat instead of the line geometry."""
    table = pd.DataFrame(edges.drop(columns=edges.geometry.name))
    ends = np.full((len(edges), 4), np.nan)
    if len(edges):
        coordinates = shapely.get_coordinates(edges.geometry.to_numpy())
        if len(coordinates) == 2 * len(edges):
            ends = coordinates.reshape(-1, 4)
    for position, column in enumerate(("source_lon", "source_lat", "target_lon", "target_lat")):
        table[column] = ends[:, position].round(6)
    return table


def write_links_csv(out: BinaryIO, job: LinksJob) -> None:
    """The edge list as spreadsheet-safe CSV (see ``export.csv``)."""
    out.write(frame_to_csv(links_table(job.edges)))


def links_graph(edges: gpd.GeoDataFrame, actors: pd.DataFrame) -> nx.MultiGraph:
    """The links as a networkx MultiGraph (one edge per link, keyed by kind), with the
    linked actors as nodes; attributes without a value are left out (GraphML has no null)."""
    import networkx as nx  # deferred: the app imports this module for GeoJSON/CSV only

    graph = nx.MultiGraph()
    ids = actors["actor_id"].astype(str)
    linked = pd.Index(pd.unique(np.r_[edges["source"].to_numpy(), edges["target"].to_numpy()]))
    nodes = actors[ids.isin(linked).to_numpy()]
    points = nodes.geometry
    attributes = pd.DataFrame(
        {
            "name": nodes["name"].to_numpy(),
            "helix": nodes["helix"].to_numpy() if "helix" in nodes else None,
            "cluster": primary_cluster(nodes).to_numpy(),
            "nuts3": actor_nuts(nodes).to_numpy(),
            "country": nodes["country"].to_numpy() if "country" in nodes else None,
            "lon": points.x.round(6).to_numpy(),
            "lat": points.y.round(6).to_numpy(),
        },
        index=nodes["actor_id"].astype(str).to_numpy(),
    )
    for node, row in attributes.iterrows():
        graph.add_node(node, **_present(row.to_dict()))
    for row in links_table(edges).itertuples(index=False):
        data = {
            "kind": row.kind,
            "label": row.label,
            "year": None if pd.isna(row.year) else int(row.year),
            "weight": float(row.weight),
            "projects": LIST_SEPARATOR.join(row.projects) if row.projects else None,
        }
        graph.add_edge(row.source, row.target, key=row.kind, **_present(data))
    return graph


def _present(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None and not pd.isna(v)}


def write_links_graphml(out: BinaryIO, job: LinksJob) -> None:
    """GraphML (yEd, Gephi, igraph) written by networkx."""
    import networkx as nx

    nx.write_graphml(links_graph(job.edges, job.actors), out, encoding="utf-8")


_GEXF_DATE = re.compile(rb'lastmodifieddate="[0-9-]+"')


def write_links_gexf(out: BinaryIO, job: LinksJob) -> None:
    """GEXF (Gephi) written by networkx, dated with the generation date."""
    import networkx as nx

    buffer = io.BytesIO()
    nx.write_gexf(links_graph(job.edges, job.actors), buffer)
    date = generation_time(job.generated_at)[:10].encode()
    out.write(_GEXF_DATE.sub(b'lastmodifieddate="' + date + b'"', buffer.getvalue(), count=1))


LINK_FORMATS: Final = {
    f.name: f
    for f in (
        LinkFormat("geojson", ".geojson", MEDIA_TYPE, write_links_geojson),
        LinkFormat("csv", ".csv", "text/csv", write_links_csv),
        LinkFormat("graphml", ".graphml", "application/graphml+xml", write_links_graphml),
        LinkFormat("gexf", ".gexf", "application/gexf+xml", write_links_gexf),
    )
}


def write_links(
    out: BinaryIO,
    edges: gpd.GeoDataFrame,
    actors: pd.DataFrame,
    *,
    fmt: str = "geojson",
    metadata: Mapping[str, Any] | None = None,
    generated_at: dt.datetime | str | None = None,
) -> None:
    """Write links in one of ``LINK_FORMATS`` into a binary file."""
    if fmt not in LINK_FORMATS:
        raise ValueError(f"unknown links format {fmt!r}; use one of {', '.join(LINK_FORMATS)}")
    LINK_FORMATS[fmt].writer(out, LinksJob(edges, actors, dict(metadata or {}), generated_at))


def render_links(edges: gpd.GeoDataFrame, actors: pd.DataFrame, **options: Any) -> bytes:
    """The bytes of one links export (the app's download button): see ``write_links``."""
    buffer = io.BytesIO()
    write_links(buffer, edges, actors, **options)
    return buffer.getvalue()
