package vigil.bench.flink;

/** Plate normalisation as Vigil's traffic schema does it: full-width ASCII to half-width, separators dropped, upper case. */
final class Plates {
  private Plates() {}

  private static boolean dropped(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\u00a0' || c == '\u3000' || c == '-' || c == '\u00b7'
        || c == '\u2022' || c == '\u30fb' || c == '\uff65' || c == '\u2027';
  }

  static String normalize(String plate) {
    StringBuilder out = null;
    for (int i = 0; i < plate.length(); i++) {
      char c = plate.charAt(i);
      char n = c;
      if (dropped(c)) n = 0;
      else {
        if (n >= '\uff01' && n <= '\uff5e') n = (char) (n - 0xfee0);
        if (n >= 'a' && n <= 'z') n = (char) (n - 0x20);
      }
      if (n != c && out == null) out = new StringBuilder(plate.length()).append(plate, 0, i);
      if (out != null && n != 0) out.append(n);
    }
    return out == null ? plate : out.toString();
  }

  /** What a camera reports when it read no plate. */
  static boolean unreadable(String plate) {
    if (plate.isEmpty() || plate.equals("UNKNOWN") || plate.equals("无牌") || plate.equals("未识别")) return true;
    for (int i = 0; i < plate.length(); i++) if (plate.charAt(i) != '0') return false;
    return true;
  }
}
