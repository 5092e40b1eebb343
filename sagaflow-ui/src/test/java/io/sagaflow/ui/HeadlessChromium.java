package io.sagaflow.ui;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * A real headless Chromium for the browser tests, driven by Selenium through the system's
 * chromedriver. Debian's {@code chromium} and {@code chromium-driver} packages are installed with
 * apt-get when they are missing and this runs as root (once per JVM); where neither is present nor
 * installable, the test class is skipped with the reason printed. Selenium Manager never runs (the
 * browser and driver paths are given), so nothing is downloaded behind the test's back.
 */
final class HeadlessChromium {
  static final Path BROWSER = Path.of("/usr/bin/chromium");
  static final Path DRIVER = Path.of("/usr/bin/chromedriver");
  private static String unavailable;
  private static boolean checked;

  private HeadlessChromium() {}

  /** Installs the browser if it can; skips the calling test class when it cannot. */
  static void require() {
    String why = ensureInstalled();
    if (why != null) {
      System.out.println("[browser tests skipped] " + why);
      Assumptions.abort(why);
    }
  }

  /** A new headless browser ({@link #require()} first). */
  static ChromeDriver start() {
    ChromeOptions options = new ChromeOptions();
    options.setBinary(BROWSER.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
        "--window-size=1300,1150", "--no-first-run", "--disable-extensions");
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(DRIVER.toFile())
        .usingAnyFreePort()
        .build();
    ChromeDriver driver = new ChromeDriver(service, options);
    driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(10));
    return driver;
  }

  /** Saves what the browser shows as {@code target/<name>.png}. */
  static Path screenshot(ChromeDriver driver, String name) throws Exception {
    Path out = Path.of("target", name + ".png");
    Files.createDirectories(out.getParent());
    Files.write(out, ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
    return out;
  }

  private static synchronized String ensureInstalled() {
    if (checked) {
      return unavailable;
    }
    checked = true;
    if (Files.isExecutable(BROWSER) && Files.isExecutable(DRIVER)) {
      return null;
    }
    if (!new File("/usr/bin/apt-get").canExecute()) {
      return unavailable = "no " + BROWSER + " or " + DRIVER + ", and no apt-get to install chromium and chromium-driver";
    }
    if (!"root".equals(System.getProperty("user.name"))) {
      return unavailable = "no " + BROWSER + " or " + DRIVER + "; installing them needs root: apt-get install -y"
          + " chromium chromium-driver";
    }
    System.out.println("[browser tests] installing chromium and chromium-driver with apt-get (once)...");
    if (!aptGet("install", "-y", "chromium", "chromium-driver")) {
      aptGet("update");
      aptGet("install", "-y", "chromium", "chromium-driver");
    }
    if (Files.isExecutable(BROWSER) && Files.isExecutable(DRIVER)) {
      return null;
    }
    return unavailable = "apt-get could not install chromium and chromium-driver (see its output above)";
  }

  private static boolean aptGet(String... args) {
    try {
      ProcessBuilder pb = new ProcessBuilder(new java.util.ArrayList<>(List.of("apt-get")));
      pb.command().addAll(List.of(args));
      pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
      pb.inheritIO();
      Process p = pb.start();
      if (!p.waitFor(10, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        return false;
      }
      return p.exitValue() == 0;
    } catch (Exception e) {
      System.out.println("[browser tests] apt-get failed: " + e);
      return false;
    }
  }
}
