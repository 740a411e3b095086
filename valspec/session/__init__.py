"""One evaluation session without pytest: the run and the case families it judges."""
