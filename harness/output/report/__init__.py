"""The run's report: one self-contained HTML page (``build.write_report``, ``page.render``)."""
