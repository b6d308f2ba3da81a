"""Recommendation on real MyAnimeList data: honest full-ranking evaluation of simple baselines
(popularity, item-kNN, implicit ALS), on a per-user random split that leaks nothing.

Work in progress: the neural recommenders (two_tower, neumf), cold start, the flywheel and the
command line are not here yet (issue #9).
"""
