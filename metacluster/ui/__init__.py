"""The Streamlit app's panels; ``app.py`` calls one function per panel.

- ``data``: cached loaders (manifests, uploads, the benchmark override, NUTS frames);
- ``deck``: pure functions that build the map's deck.gl JSON, spliced rather than re-encoded;
- ``sidebar``: data source, filters and view options, mirrored in the URL;
- ``mapview``: the map, its legend and attribution;
- ``panels``: the header, the details card, summary charts, the table and the import report;
- ``export``: download buttons, bytes from ``metacluster.export.render`` like the CLI;
- ``present``: presentation mode and the region-by-region tour;
- ``upload``: layer files uploaded in the browser, merged like regional maps;
- ``mapping``: the upload's column mapping step (guessed, shown with a preview, editable);
- ``guard``: domain errors shown as ``st.error``, in one place;
"""
