"""A stand-in for the seeds' own stack (FastAPI + uvicorn, async, SQLite), used only as a
benchmark peer when ../shared/peers/ is absent. GET /api/beats/{id} is its GET-beat-by-id."""
import os
import sqlite3

from fastapi import FastAPI, HTTPException

DB = os.environ.get("PEER_DB", "/tmp/backbeat-fastapi-peer.db")
app = FastAPI()
_conn = None


def conn():
    global _conn
    if _conn is None:
        _conn = sqlite3.connect(DB, check_same_thread=False)
        _conn.row_factory = sqlite3.Row
        _conn.execute("PRAGMA journal_mode=WAL")
        _conn.execute("PRAGMA synchronous=NORMAL")
        _conn.execute("PRAGMA busy_timeout=5000")
    return _conn


@app.get("/api/beats/{beat_id}")
async def get_beat(beat_id: str):
    row = conn().execute("SELECT * FROM beats WHERE beat_id = ?", (beat_id,)).fetchone()
    if row is None:
        raise HTTPException(status_code=404, detail="not found")
    return dict(row)


@app.get("/api/beats")
async def search_beats(q: str = "", limit: int = 20):
    # GET-search-q: what the seed's service does, a scan with LIKE over its (10,000) rows.
    like = f"%{q}%"
    rows = conn().execute(
        "SELECT * FROM beats WHERE title LIKE ? OR artist LIKE ? OR tags LIKE ? LIMIT ?",
        (like, like, like, limit)).fetchall()
    return {"beats": [dict(r) for r in rows]}


@app.post("/api/purchases")
async def post_purchase(body: dict):
    # POST-purchase: a bare insert, committed with WAL + synchronous=NORMAL (weaker than ours).
    c = conn()
    c.execute("INSERT INTO purchases (purchase_id, beat_id, license, buyer) VALUES (?, ?, ?, ?)",
              (os.urandom(8).hex(), body.get("beat_id"), body.get("license", "basic"), "buyer"))
    c.commit()
    return {"status": "completed"}


@app.get("/healthz")
async def healthz():
    return {"status": "ok"}


def seed(n=10000):
    c = sqlite3.connect(DB)
    c.execute("DROP TABLE IF EXISTS beats")
    c.execute("CREATE TABLE beats (beat_id TEXT PRIMARY KEY, title TEXT, artist TEXT, tags TEXT, file_url TEXT, price REAL)")
    words = ["midnight", "velvet", "neon", "golden", "dark", "trap", "lofi", "dreams", "rain", "pulse"]
    c.executemany("INSERT INTO beats VALUES (?, ?, ?, ?, ?, ?)",
                  [(f"beat-{i}", f"{words[i % 10]} {words[(i // 10) % 10]} {i}", "producer", words[(i // 7) % 10],
                    f"/api/beats/beat-{i}/download", 29.99) for i in range(n)])
    c.execute("DROP TABLE IF EXISTS purchases")
    c.execute("CREATE TABLE purchases (purchase_id TEXT PRIMARY KEY, beat_id TEXT, license TEXT, buyer TEXT)")
    c.commit()
    c.close()


if __name__ == "__main__":
    seed()
