#!/usr/bin/env python3
"""Real-browser test of the review page (issue 6): headless Chromium driven by Selenium.

Drafts two fixture calls into a fresh store with `calltriage run`, starts `calltriage review`
on a free loopback port, then in the browser: opens the queue, opens the μ-law stereo call,
checks the audio element loads (the server converts μ-law to PCM) and the signal views draw,
clicks a keyword hit and checks playback jumps there, edits the time limit and the summary,
approves, and checks the decision is in the database. Screenshots go to --shots.

    python3 tools/review/browser_test.py --bin .build/debug/calltriage [--shots out/review-screens]

Exit status: 0 passed, 1 failed, 77 skipped (no browser; a loud message says why).
"""
import argparse
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

SKIP = 77


def loud_skip(why):
    bar = "!" * 78
    print(f"{bar}\nSKIPPED: review browser test: {why}\n{bar}", file=sys.stderr)
    sys.exit(SKIP)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=".build/debug/calltriage")
    ap.add_argument("--shots", default="out/review-screens")
    ap.add_argument("--keep", action="store_true", help="keep the temporary store")
    a = ap.parse_args()

    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as EC
        from selenium.webdriver.support.select import Select
        from selenium.webdriver.support.ui import WebDriverWait
    except ImportError:
        loud_skip("python selenium is not installed (pip install selenium)")
    chrome = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver_bin = shutil.which("chromedriver") or ("/usr/bin/chromedriver" if os.path.exists("/usr/bin/chromedriver") else None)
    if not chrome or not driver_bin:
        loud_skip("chromium / chromedriver not found (apt-get install chromium chromium-driver)")

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    binary = os.path.abspath(a.bin)
    os.makedirs(a.shots, exist_ok=True)
    work = tempfile.mkdtemp(prefix="review-browser-")
    db = os.path.join(work, "review.sqlite")
    audio = [os.path.join(root, "AudioFixtures/audio/call_stereo_ulaw_8k.wav"),
             os.path.join(root, "AudioFixtures/audio/call_stereo_pcm16_8k.wav")]
    r = subprocess.run([binary, "run", *audio, "--db", db, "--quiet"], capture_output=True, text=True, cwd=root)
    if r.returncode != 0:
        print(r.stdout, r.stderr, file=sys.stderr)
        sys.exit("error: calltriage run failed")
    port = free_port()
    server = subprocess.Popen([binary, "review", "--db", db, "--port", str(port)], cwd=root,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    failures = []

    def check(cond, what):
        print(("ok    " if cond else "FAIL  ") + what)
        if not cond:
            failures.append(what)

    driver = None
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1).read()
                break
            except Exception:
                if server.poll() is not None:
                    sys.exit("error: review server exited: " + server.stdout.read())
                time.sleep(0.2)
        opts = Options()
        opts.binary_location = chrome
        for arg in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                    "--autoplay-policy=no-user-gesture-required", "--mute-audio", "--window-size=1400,1100"]:
            opts.add_argument(arg)
        try:
            driver = webdriver.Chrome(service=Service(driver_bin), options=opts)
        except Exception as e:  # the browser is installed but cannot start here
            loud_skip(f"chromium did not start: {e}")
        wait = WebDriverWait(driver, 20)

        # 1. Queue.
        driver.get(base + "/")
        rows = driver.find_elements(By.CSS_SELECTOR, "#queue tbody tr")
        check(len(rows) == 2, f"queue lists the 2 drafted calls (saw {len(rows)})")
        driver.save_screenshot(os.path.join(a.shots, "1-queue.png"))

        # 2. Open the μ-law call.
        driver.find_element(By.LINK_TEXT, "call_stereo_ulaw_8k").click()
        wait.until(EC.presence_of_element_located((By.ID, "draft-form")))
        check("call_stereo_ulaw_8k" in driver.title, "draft page opened")

        # 3. The audio element loads (μ-law converted to PCM WAV by the server).
        wait.until(lambda d: d.execute_script("return document.getElementById('player').readyState") >= 1)
        duration = driver.execute_script("return document.getElementById('player').duration")
        check(abs(duration - 15.66) < 0.1, f"audio element loaded, duration {duration:.2f} s")
        err = driver.execute_script("return document.getElementById('player').error")
        check(err is None, "audio element has no media error")
        wait.until(lambda d: d.execute_script("return document.getElementById('signal').dataset.loaded") == "1")
        canvases = driver.find_elements(By.CSS_SELECTOR, "#signal canvas")
        check(len(canvases) == 4, f"waveform and spectrogram for both channels ({len(canvases)} canvases)")
        marks = driver.find_elements(By.CSS_SELECTOR, "#signal .mark")
        check(len(marks) >= 1, f"keyword hits marked on the signal view ({len(marks)})")

        # 4. Click a hit: playback jumps there.
        hits = driver.find_elements(By.CSS_SELECTOR, "#hits .hit")
        check(len(hits) >= 1, f"hit buttons listed ({len(hits)})")
        target = next((h for h in hits if "暖气不热" in h.text), hits[0] if hits else None)
        if target is not None:
            start = float(target.get_attribute("data-start"))
            target.click()
            wait.until(lambda d: abs(d.execute_script("return document.getElementById('player').currentTime") - start) < 1.5)
            t = driver.execute_script("return document.getElementById('player').currentTime")
            check(abs(t - start) < 1.5, f"clicking hit '{target.text.split()[0]}' at {start:.2f} s set playback to {t:.2f} s")
            driver.execute_script("document.getElementById('player').pause()")
        driver.save_screenshot(os.path.join(a.shots, "2-draft.png"))

        # 5. Edit and approve.
        # Edit the time limit away from whatever the model drafted (that depends on the shipped models).
        limit = Select(driver.find_element(By.ID, "f-time_limit"))
        orig_limit = limit.first_selected_option.get_attribute("value")
        new_limit = "3d" if orig_limit != "3d" else "5d"
        limit.select_by_value(new_limit)
        summary = driver.find_element(By.ID, "f-summary")
        summary.send_keys("（已核实）")
        reviewer = driver.find_element(By.ID, "f-reviewer")
        reviewer.clear()
        reviewer.send_keys("Selenium QA")
        driver.save_screenshot(os.path.join(a.shots, "3-edited.png"))
        driver.find_element(By.ID, "btn-approve").click()
        try:
            wait.until(lambda d: "action=approve" in d.current_url or "saved=1" in d.current_url)
        except Exception:
            driver.save_screenshot(os.path.join(a.shots, "4-after-approve.png"))
            check(False, f"approve did not go through: {driver.current_url}: {driver.find_element(By.TAG_NAME, 'body').text[:300]}")
        driver.save_screenshot(os.path.join(a.shots, "4-after-approve.png"))

        # 6. The decision is in the database.
        con = sqlite3.connect(db)
        row = con.execute("SELECT id, status, revision, reviewer, reviewed_json FROM drafts WHERE call_id = 'call_stereo_ulaw_8k'").fetchone()
        check(row is not None and row[1] == "approved", f"draft approved in the store ({row[1] if row else None})")
        check(row is not None and row[2] == 1 and row[3] == "Selenium QA", "revision 1 by Selenium QA")
        reviewed = json.loads(row[4]) if row and row[4] else {}
        check(reviewed.get("time_limit") == new_limit, f"time limit edit stored ({new_limit})")
        check("（已核实）" in reviewed.get("summary", ""), "summary edit stored")
        decisions = con.execute("SELECT action, field, old_value, new_value, reviewer FROM decisions WHERE draft_id = ? ORDER BY id",
                                (row[0],)).fetchall() if row else []
        fields = {d[1]: d for d in decisions}
        check("time_limit" in fields and fields["time_limit"][2] == orig_limit and fields["time_limit"][3] == new_limit,
              f"decision log has time_limit {orig_limit} → {new_limit} ({decisions})")
        check(any(d[0] == "approve" for d in decisions), "decision log has the approval")

        # 7. Metrics page shows it.
        driver.get(base + "/metrics")
        decided = driver.find_element(By.ID, "m-decided").text
        check(decided == "1", f"metrics count 1 approval ({decided})")
        driver.save_screenshot(os.path.join(a.shots, "5-metrics.png"))
    finally:
        if driver is not None:
            driver.quit()
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"screenshots: {a.shots}")
    if failures:
        print(f"review browser test: {len(failures)} check(s) failed", file=sys.stderr)
        sys.exit(1)
    print("review browser test: all checks passed")


if __name__ == "__main__":
    main()
