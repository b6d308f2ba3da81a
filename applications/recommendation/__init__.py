"""Recommendation on real MyAnimeList data (5,000 users, 7,390 anime): the zoo's two_tower and neumf
against popularity, item-kNN and implicit ALS, with honest full-ranking evaluation on a seeded
per-user split, cold start (new users, new items), and a simulated retraining flywheel.

    python -m applications.recommendation evaluate --out runs/recommendation
    python -m applications.recommendation recommend --like "Cowboy Bebop,Steins;Gate"
"""
