/**
 * Python's `datetime.strftime` for the `strftime_now(format)` function transformers gives chat templates
 * (templates use it to write today's date into a system prompt). Local time, C locale (English names),
 * plus glibc's `%-d`-style "no padding" flag, which Python on Linux passes through.
 */

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

function pad(n: number, width: number, noPad: boolean): string {
  return noPad ? String(n) : String(n).padStart(width, "0");
}

function dayOfYear(date: Date): number {
  const start = new Date(date.getFullYear(), 0, 1);
  return Math.round((new Date(date.getFullYear(), date.getMonth(), date.getDate()).getTime() - start.getTime()) / 86_400_000) + 1;
}

function utcOffset(date: Date): string {
  const minutes = -date.getTimezoneOffset();
  const sign = minutes < 0 ? "-" : "+";
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}${String(abs % 60).padStart(2, "0")}`;
}

export function strftime(date: Date, format: string): string {
  return format.replace(/%(-?)([a-zA-Z%])/g, (whole, flag: string, code: string) => {
    const noPad = flag === "-";
    const hour12 = date.getHours() % 12 === 0 ? 12 : date.getHours() % 12;
    switch (code) {
      case "a": return DAYS[date.getDay()]!.slice(0, 3);
      case "A": return DAYS[date.getDay()]!;
      case "w": return String(date.getDay());
      case "d": return pad(date.getDate(), 2, noPad);
      case "e": return String(date.getDate()).padStart(2, " ");
      case "b": case "h": return MONTHS[date.getMonth()]!.slice(0, 3);
      case "B": return MONTHS[date.getMonth()]!;
      case "m": return pad(date.getMonth() + 1, 2, noPad);
      case "y": return pad(date.getFullYear() % 100, 2, noPad);
      case "Y": return String(date.getFullYear());
      case "H": return pad(date.getHours(), 2, noPad);
      case "I": return pad(hour12, 2, noPad);
      case "p": return date.getHours() < 12 ? "AM" : "PM";
      case "M": return pad(date.getMinutes(), 2, noPad);
      case "S": return pad(date.getSeconds(), 2, noPad);
      case "f": return String(date.getMilliseconds() * 1000).padStart(6, "0");
      case "j": return pad(dayOfYear(date), 3, noPad);
      case "z": return utcOffset(date);
      case "Z": return Intl.DateTimeFormat("en-US", { timeZoneName: "short" }).formatToParts(date).find((p) => p.type === "timeZoneName")?.value ?? "";
      case "D": return strftime(date, "%m/%d/%y");
      case "F": return strftime(date, "%Y-%m-%d");
      case "T": return strftime(date, "%H:%M:%S");
      case "c": return strftime(date, "%a %b %e %H:%M:%S %Y");
      case "x": return strftime(date, "%m/%d/%y");
      case "X": return strftime(date, "%H:%M:%S");
      case "%": return "%";
      default: return whole;
    }
  });
}

/** `strftime_now` as transformers defines it: the current local time formatted. */
export function strftimeNow(format: unknown): string {
  return strftime(new Date(), typeof format === "string" ? format : String(format));
}
