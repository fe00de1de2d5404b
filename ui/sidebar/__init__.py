"""The studio's sidebar: the training panel."""
