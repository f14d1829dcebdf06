// Ordered: many browsers also name Chrome or Safari in their User-Agent, so the specific
// ones must match first.
const BROWSERS: ReadonlyArray<readonly [string, RegExp]> = [
  ['WeChat', /MicroMessenger\/(\d+)/],
  ['DingTalk', /DingTalk\/(\d+)/],
  ['Edge', /Edg(?:e|A|iOS)?\/(\d+)/],
  ['Opera', /(?:OPR|Opera)\/(\d+)/],
  ['Samsung Internet', /SamsungBrowser\/(\d+)/],
  ['QQ Browser', /QQBrowser\/(\d+)/],
  ['UC Browser', /UCBrowser\/(\d+)/],
  ['Firefox', /(?:Firefox|FxiOS)\/(\d+)/],
  ['Chrome', /(?:Chrome|CriOS)\/(\d+)/],
  ['Safari', /Version\/(\d+)[^ ]* (?:Mobile\/\S+ )?Safari\//],
]

const SYSTEMS: ReadonlyArray<readonly [string, RegExp]> = [
  ['HarmonyOS', /HarmonyOS|OpenHarmony/],
  ['Windows', /Windows/],
  ['Android', /Android/],
  ['iOS', /iPhone|iPad|iPod/],
  ['macOS', /Mac OS X|Macintosh/],
  ['ChromeOS', /CrOS/],
  ['Linux', /Linux/],
]

const MAX_FALLBACK = 40

/** Summarize a User-Agent header as browser and major version plus operating system. */
export function summarizeUserAgent(userAgent: string): string {
  const text = userAgent.trim()
  if (text === '') return ''
  let browser: string | undefined
  for (const [name, pattern] of BROWSERS) {
    const match = pattern.exec(text)
    if (match !== null) {
      browser = `${name} ${match[1]}`
      break
    }
  }
  const system = SYSTEMS.find(([, pattern]) => pattern.test(text))?.[0]
  if (browser === undefined && system === undefined) {
    // Scripts and tools send "name/version ..."; the first product token names the tool.
    const token = /^[A-Za-z][\w.-]*\/[\w.]+/.exec(text)
    if (token !== null) return token[0]
    return text.length > MAX_FALLBACK ? `${text.slice(0, MAX_FALLBACK)}…` : text
  }
  return [browser, system].filter((part) => part !== undefined).join(' · ')
}
