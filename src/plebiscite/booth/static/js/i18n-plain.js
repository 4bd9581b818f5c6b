// The booth's words for keeping a receipt, resuming after a reload and checking an opened ballot (issue 18), in
// plain language: what the voter must do and what they may check, no jargon (docs/booth.md §4, glossary). i18n.js
// merges these into its table; the rewordings of older messages live here too (a key is in one of the two files).
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
  'audit.title': {
    uk: 'Перевірити відкритий бюлетень (після «Перевірити шифрування»)',
    ru: 'Проверить открытый бюллетень (после «Проверить шифрование»)',
    en: 'Check an opened ballot (after “Check the encryption”)',
  },
  'audit.explain': {
    uk: 'Завантажте два файли, які дала кабіна, і позначте, що ви обрали. Цей браузер сам відкриє бюлетень і порівняє.',
    ru: 'Загрузите два файла, которые дала кабина, и отметьте, что вы выбрали. Этот браузер сам откроет бюллетень и сравнит.',
    en: 'Load the two files the booth gave you and mark what you chose. This browser opens the ballot itself and compares.',
  },
  'audit.ballot_file': { uk: 'Відкритий бюлетень (ballot.json)', ru: 'Открытый бюллетень (ballot.json)', en: 'The opened ballot (ballot.json)' },
  'audit.opening_file': { uk: 'Його відкриття (opening.json)', ru: 'Его открытие (opening.json)', en: 'Its opening (opening.json)' },
  'audit.your_choices': { uk: 'Що ви обрали', ru: 'Что вы выбрали', en: 'What you chose' },
  'audit.run': { uk: 'Порівняти', ru: 'Сравнить', en: 'Compare' },
  'audit.question': { uk: 'Питання', ru: 'Вопрос', en: 'Question' },
  'audit.you_chose': { uk: 'Ви обрали', ru: 'Вы выбрали', en: 'You chose' },
  'audit.ballot_has': { uk: 'У бюлетені', ru: 'В бюллетене', en: 'The ballot contains' },
  'audit.match': {
    uk: 'Збігається: пристрій зашифрував саме те, що ви обрали.',
    ru: 'Совпадает: устройство зашифровало именно то, что вы выбрали.',
    en: 'Matches: the device encrypted exactly what you chose.',
  },
  'audit.mismatch': {
    uk: 'НЕ збігається — ваш пристрій може бути зламаний, не голосуйте на ньому. Збережіть обидва файли й повідомте спостерігачів.',
    ru: 'НЕ совпадает — ваше устройство может быть взломано, не голосуйте на нём. Сохраните оба файла и сообщите наблюдателям.',
    en: 'Does NOT match — your device may be compromised, do not vote on it. Keep both files and tell the observers.',
  },
  'audit.invalid': {
    uk: '(Файли не є правильним бюлетенем цих виборів і його відкриттям: {detail}.)',
    ru: '(Файлы не являются правильным бюллетенем этих выборов и его открытием: {detail}.)',
    en: '(The files are not a valid ballot of this election and its opening: {detail}.)',
  },
  'audit.missing_file': {
    uk: 'Завантажте обидва файли: ballot.json і opening.json.',
    ru: 'Загрузите оба файла: ballot.json и opening.json.',
    en: 'Load both files: ballot.json and opening.json.',
  },
  'audit.not_json': {
    uk: 'Файл не читається (це не файл, який дала кабіна).',
    ru: 'Файл не читается (это не файл, который дала кабина).',
    en: 'A file cannot be read (it is not one the booth gave you).',
  },
  'audit.mark_choices': {
    uk: 'Позначте, що ви обрали, у кожному питанні.',
    ru: 'Отметьте, что вы выбрали, в каждом вопросе.',
    en: 'Mark what you chose in every question.',
  },
  'challenge.independent': {
    uk: 'Перевірити на іншому пристрої: сторінка «Перевірити мій бюлетень» → «Перевірити відкритий бюлетень» з цими двома файлами; або в терміналі: plebiscite check-challenge record.zip ballot.json opening.json',
    ru: 'Проверить на другом устройстве: страница «Проверить мой бюллетень» → «Проверить открытый бюллетень» с этими двумя файлами; или в терминале: plebiscite check-challenge record.zip ballot.json opening.json',
    en: 'To check on another device: the “Check my ballot” page → “Check an opened ballot”, with these two files; or in a terminal: plebiscite check-challenge record.zip ballot.json opening.json',
  },
  'challenge.intro': {
    uk: 'Дошка відкрила ваш бюлетень. Порівняйте, що ви обрали, з тим, що в бюлетені:',
    ru: 'Доска открыла ваш бюллетень. Сравните, что вы выбрали, с тем, что в бюллетене:',
    en: 'The board opened your ballot. Compare what you chose with what the ballot contains:',
  },
  'challenge.match': {
    uk: 'Збігається: пристрій зашифрував саме те, що ви обрали. Цей перевірений бюлетень не рахується — проголосуйте знову.',
    ru: 'Совпадает: устройство зашифровало именно то, что вы выбрали. Этот проверенный бюллетень не считается — проголосуйте снова.',
    en: 'Matches: the device encrypted exactly what you chose. This checked ballot does not count — vote again.',
  },
  'challenge.mismatch': {
    uk: 'НЕ збігається — ваш пристрій може бути зламаний, не голосуйте на ньому. Збережіть два файли нижче й повідомте спостерігачів.',
    ru: 'НЕ совпадает — ваше устройство может быть взломано, не голосуйте на нём. Сохраните два файла ниже и сообщите наблюдателям.',
    en: 'Does NOT match — your device may be compromised, do not vote on it. Keep the two files below and tell the observers.',
  },
  'check.ok_head': {
    uk: 'Дошка підписала квитанцію ключем {key}, коли мала {size} записів ({time}).',
    ru: 'Доска подписала квитанцию ключом {key}, когда имела {size} записей ({time}).',
    en: 'The board signed the receipt with board key {key} when it had {size} entries ({time}).',
  },
  'check.ok_key': {
    uk: 'Дошка досі використовує ключ, яким підписано вашу квитанцію: {key}.',
    ru: 'Доска по-прежнему использует ключ, которым подписана ваша квитанция: {key}.',
    en: 'The board still uses the key that signed your receipt: {key}.',
  },
  'history.key_changed': {
    uk: 'квитанцію підписано ключем дошки {was}, а дошка тепер показує ключ {now}',
    ru: 'квитанция подписана ключом доски {was}, а доска теперь показывает ключ {now}',
    en: 'the receipt was signed with board key {was}, the board now presents key {now}',
  },
  'check.ok_consistent': {
    uk: 'Дошка з {second} записів продовжує ті {first} записів, що були у вашій квитанції: жоден попередній запис не змінено й не видалено.',
    ru: 'Доска из {second} записей продолжает те {first} записей, что были в вашей квитанции: ни одна прежняя запись не изменена и не удалена.',
    en: 'The board’s log of {second} entries extends the {first} entries of your receipt: no earlier entry was changed or removed.',
  },
  'review.ready': {
    uk: 'Ваш вибір зашифровано на цьому пристрої. Ніхто не може його прочитати, навіть дошка.',
    ru: 'Ваш выбор зашифрован на этом устройстве. Никто не может его прочитать, даже доска.',
    en: 'Your choices are encrypted on this device. Nobody can read them, not even the board.',
  },
  'review.explain': {
    uk: 'Подайте бюлетень, щоб його врахували. Або спершу перевірте шифрування, щоб випробувати цей пристрій: бюлетень відкриють і покажуть вам, і він ніколи не рахується — потім проголосуйте знову.',
    ru: 'Подайте бюллетень, чтобы его учли. Или сначала проверьте шифрование, чтобы испытать это устройство: бюллетень откроют и покажут вам, и он никогда не считается — потом проголосуйте снова.',
    en: 'Cast the ballot to have it counted. Or first check the encryption, to test this device: the ballot is opened and shown to you, and never counted — then vote again.',
  },
  'file.choose': { uk: 'Вибрати файл', ru: 'Выбрать файл', en: 'Choose a file' },
  'file.none': { uk: 'Файл не вибрано', ru: 'Файл не выбран', en: 'No file chosen' },
  'ballot.blank': {
    uk: 'Жоден із варіантів (без відповіді на це питання)',
    ru: 'Ни один из вариантов (без ответа на этот вопрос)',
    en: 'None of these (no answer to this question)',
  },
  'results.blank': { uk: 'Жоден із варіантів', ru: 'Ни один из вариантов', en: 'None of these' },
  'check.ok_leaf': {
    uk: 'Квитанція належить бюлетеню з коротким кодом {code}.',
    ru: 'Квитанция принадлежит бюллетеню с коротким кодом {code}.',
    en: 'The receipt is for the ballot with short code {code}.',
  },
  'check.ok_lookup': {
    uk: 'Бюлетень {code} знайдено на дошці: запис {index} з {size}; підпис дошки і доказ того, що він там, правильні.',
    ru: 'Бюллетень {code} найден на доске: запись {index} из {size}; подпись доски и доказательство того, что он там, верны.',
    en: 'Ballot {code} is on the board: entry {index} of {size}; the board’s signature and the proof that it is there are correct.',
  },
};
