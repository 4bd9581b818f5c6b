// The booth's words for keeping a receipt, resuming after a reload and checking an opened ballot (issue 18), in
// plain language: what the voter must do and what they may check, no jargon (docs/booth.md §4, glossary). i18n.js
// merges these over its own table, so a key here replaces an older wording of the same key.
export const PLAIN = {
  'details': { uk: 'Подробиці для фахівців', ru: 'Подробности для специалистов', en: 'Details for experts' },
  'credential.loaded': {
    uk: 'Ключ прийнято. Зробіть свій вибір.',
    ru: 'Ключ принят. Сделайте свой выбор.',
    en: 'Credential accepted. Make your choices.',
  },
  'cast.check_link': { uk: 'Перевірити мій бюлетень', ru: 'Проверить мой бюллетень', en: 'Check my ballot on the board' },
  'keep.title': { uk: 'Збережіть квитанцію', ru: 'Сохраните квитанцию', en: 'Keep your receipt' },
  'keep.explain': {
    uk: 'З нею ви зможете пізніше, з будь-якого телефона чи комп’ютера, перевірити, що ваш бюлетень на дошці. Завантажте її або запишіть цей короткий код:',
    ru: 'С ней вы сможете позже, с любого телефона или компьютера, проверить, что ваш бюллетень на доске. Скачайте её или запишите этот короткий код:',
    en: 'With it you can check later, from any phone or computer, that your ballot is on the board. Download it, or write down this short code:',
  },
  'keep.written': { uk: 'Я записав(ла) код', ru: 'Я записал(а) код', en: 'I have written the code down' },
  'keep.unsaved': {
    uk: 'Квитанцію ще не збережено. Не закривайте сторінку, доки не збережете її.',
    ru: 'Квитанция ещё не сохранена. Не закрывайте страницу, пока не сохраните её.',
    en: 'The receipt is not saved yet. Do not close this page until you have saved it.',
  },
  'keep.saved': {
    uk: 'Квитанцію збережено. Сторінка її більше не зберігає; можна закрити сторінку.',
    ru: 'Квитанция сохранена. Страница её больше не хранит; можно закрыть страницу.',
    en: 'Receipt saved. This page no longer keeps it; you may close the page.',
  },
  'resume.title': { uk: 'Чи подано ваш бюлетень?', ru: 'Подан ли ваш бюллетень?', en: 'Was your ballot cast?' },
  'resume.cut': {
    uk: 'Зв’язок обірвався під час подання бюлетеня.',
    ru: 'Связь оборвалась во время подачи бюллетеня.',
    en: 'The connection broke while your ballot was being sent.',
  },
  'resume.reloaded': {
    uk: 'Сторінку перезавантажено під час подання бюлетеня.',
    ru: 'Страница перезагружена во время подачи бюллетеня.',
    en: 'The page was reloaded while your ballot was being sent.',
  },
  'resume.asking': {
    uk: 'Запитуємо дошку, чи дійшов ваш бюлетень…',
    ru: 'Спрашиваем доску, дошёл ли ваш бюллетень…',
    en: 'Asking the board whether your ballot reached it…',
  },
  'resume.reached': {
    uk: 'Ваш бюлетень дійшов до дошки. Ось його квитанція.',
    ru: 'Ваш бюллетень дошёл до доски. Вот его квитанция.',
    en: 'Your ballot reached the board. Here is its receipt.',
  },
  'resume.shown': {
    uk: 'Сторінку перезавантажено. Це квитанція бюлетеня, який ви подали: збережіть її зараз.',
    ru: 'Страница перезагружена. Это квитанция бюллетеня, который вы подали: сохраните её сейчас.',
    en: 'The page was reloaded. This is the receipt of the ballot you cast: keep it now.',
  },
  'resume.not_there': {
    uk: 'Бюлетень НЕ дійшов до дошки: нічого не подано. Ви можете подати той самий бюлетень зараз або почати знову.',
    ru: 'Бюллетень НЕ дошёл до доски: ничего не подано. Вы можете подать тот же бюллетень сейчас или начать заново.',
    en: 'The ballot did NOT reach the board: nothing was cast. You can cast the same ballot now, or start again.',
  },
  'resume.unknown': {
    uk: 'Дошка зараз не відповідає, тож невідомо, чи дійшов бюлетень. Запитайте знову, коли буде зв’язок: той самий бюлетень ніколи не рахується двічі.',
    ru: 'Доска сейчас не отвечает, поэтому неизвестно, дошёл ли бюллетень. Спросите снова, когда будет связь: один и тот же бюллетень никогда не считается дважды.',
    en: 'The board does not answer now, so it is not known whether the ballot reached it. Ask again when you are connected: the same ballot is never counted twice.',
  },
  'resume.there_no_receipt': {
    uk: 'Бюлетень є на дошці, але квитанцію отримати не вдалося. Запитайте знову, щоб отримати її.',
    ru: 'Бюллетень есть на доске, но получить квитанцию не удалось. Спросите снова, чтобы получить её.',
    en: 'The ballot is on the board, but its receipt could not be fetched. Ask again to get it.',
  },
  'resume.retry': { uk: 'Запитати дошку знову', ru: 'Спросить доску снова', en: 'Ask the board again' },
  'resume.send': { uk: 'Подати цей бюлетень зараз', ru: 'Подать этот бюллетень сейчас', en: 'Cast this ballot now' },
  'resume.discard': { uk: 'Почати знову', ru: 'Начать заново', en: 'Start again' },
  'resume.nothing_cast': {
    uk: 'Сторінку перезавантажено. У цей момент жоден бюлетень не надсилався. Задля вашої безпеки сторінка ніколи не зберігає ваш ключ і ваш вибір: введіть ключ знову. Бюлетень, поданий раніше, лишається на дошці — знайдіть його за кодом у розділі «Перевірити мій бюлетень».',
    ru: 'Страница перезагружена. В этот момент ни один бюллетень не отправлялся. Для вашей безопасности страница никогда не хранит ваш ключ и ваш выбор: введите ключ снова. Бюллетень, поданный раньше, остаётся на доске — найдите его по коду в разделе «Проверить мой бюллетень».',
    en: 'The page was reloaded. No ballot was being sent at that moment. For your safety the page never keeps your credential or your choices: give your credential again. A ballot you cast earlier stays on the board — find it by its code under “Check my ballot”.',
  },
  'short.length': {
    uk: 'Короткий код має 16 літер і цифр ({detail}).',
    ru: 'Короткий код состоит из 16 букв и цифр ({detail}).',
    en: 'A short code has 16 letters and digits ({detail}).',
  },
  'short.checksum': {
    uk: 'Короткий код записано з помилкою (контрольна сума не збігається). Перевірте кожен символ.',
    ru: 'Короткий код записан с ошибкой (контрольная сумма не совпадает). Проверьте каждый символ.',
    en: 'The short code has a mistake in it (its checksum does not match). Check every character.',
  },
  'check.code': { uk: 'Короткий код або код відстеження', ru: 'Короткий код или код отслеживания', en: 'Short code or tracking code' },
  'check.code_form': {
    uk: 'введіть короткий код (16 літер і цифр, наприклад ABCD-EFGH-JKLM-NPQR) або код відстеження з 64 символів',
    ru: 'введите короткий код (16 букв и цифр, например ABCD-EFGH-JKLM-NPQR) или код отслеживания из 64 символов',
    en: 'type the short code (16 letters and digits, like ABCD-EFGH-JKLM-NPQR) or the 64-character tracking code',
  },
  'check.board_key': {
    uk: 'Ключ дошки — порівняйте його з ключем, який опублікували організатори виборів; лише тоді ви знаєте, що це справжня дошка:',
    ru: 'Ключ доски — сравните его с ключом, который опубликовали организаторы выборов; только тогда вы знаете, что это настоящая доска:',
    en: 'Board key — compare it with the one the election organisers published; only then do you know this is the real board:',
  },
  'check.not_found': {
    uk: 'Бюлетеня з таким кодом на дошці немає.',
    ru: 'Бюллетеня с таким кодом на доске нет.',
    en: 'No ballot with this code is on the board.',
  },
};
