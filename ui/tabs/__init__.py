"""The studio's tabs: draw, training, sigmoid, inside the model, data, runs (and what the Draw tab shows)."""
