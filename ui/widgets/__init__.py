"""Pieces every view uses: the canvas, plots, inline HTML and the page layout."""
