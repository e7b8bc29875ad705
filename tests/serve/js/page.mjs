// The chat page of facet serve in headless Chromium (Debian's /usr/bin/chromium through
// playwright-core): argv: base URL, image path, screenshot path. Picks the model, attaches the
// image through the file input, sends a question, waits for the streamed answer to finish, keeps
// a screenshot, and prints {"answer", "pieces"} (pieces: how many different texts the answer showed
// while it streamed).
import { chromium } from "playwright-core";

const [url, image, shot] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
                                        args: ["--no-sandbox", "--disable-gpu"] });
try {
  const page = await browser.newPage();
  await page.goto(url);
  await page.waitForSelector("#model option", { state: "attached" });
  await page.selectOption("#model", "llava");
  await page.setInputFiles("#file", image);
  await page.waitForSelector("#thumbs img", { state: "attached" });
  await page.fill("#text", "What is in the image?");
  const seen = new Set();
  await page.click("#send");
  const answer = page.locator(".msg.assistant").last();
  for (let i = 0; i < 600 && (await answer.getAttribute("data-state")) !== "done"; ++i) {
    seen.add(await answer.innerText());
    await page.waitForTimeout(20);
  }
  await page.screenshot({ path: shot, fullPage: true });
  console.log(JSON.stringify({ answer: await answer.innerText(), pieces: seen.size,
                               user_images: await page.locator(".msg.user img").count() }));
} finally {
  await browser.close();
}
