"""Cases: reporting with assignment to a grid, the closed loop, lists, statistics, pages."""
