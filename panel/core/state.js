/* The state the views share. Each view keeps what only it uses in its own module. */

export const LS_SOUND = 'lc-panel:sound';

export const S = {
  config: null,
  tokens: null,
  me: null,
  project: null,
  epoch: 0,                 // bumped on login/logout/project switch; stale async work checks it
  // chat list
  chats: new Map(),         // chat id -> summary
  order: [],                // chat ids, newest activity first
  nextCursor: null,
  pagesLoaded: 0,
  listLoading: false,
  listError: null,
  listRequestedAt: null,
  // conversation
  openId: null,
  conv: null,               // {chatId, messages: Map, loaded, error, requestedAt, needsSync, truncated, seenUpTo}
  pending: new Map(),       // chat id -> Map(client_id -> {client_id, chat_id, text, status, error, created_at})
  drafts: new Map(),        // chat id -> unsent text
  // typing
  typingSentAt: 0,
  typingActiveChat: null,
  typingIdleTimer: null,
  visitorTypingTimer: null,
  // sections, project details, team
  view: 'inbox',            // inbox | team-chat | team | replies | auto | settings
  display: 'section',       // where an open chat is drawn: section | popup (per user)
  projectInfo: null,        // GET /projects/{pid}: settings and the caller's role
  members: [],
  replies: [],              // saved replies (management section)
  chatReplies: new Map(),   // chat id -> Promise of replies filled in for that dialogue
  editingReply: null,
  autoMessages: [],         // auto messages (leads' section)
  editingAuto: null,        // id of the auto message in the editor (null: a new one)
  catalogue: null,          // GET /targeting/catalogue: rule fields and operators
  suggest: null,            // {items, index} while the "/" suggestions show
  composeMode: 'reply',     // reply | note
  team: { messages: new Map(), loaded: false, loading: false },
  billing: null,            // GET /projects/{pid}/billing
  visitors: null,           // GET /projects/{pid}/visitors/online
  visitorsTimer: null,
  billingInterval: 'monthly',
  checkoutOutcome: null,    // back from Stripe Checkout: success | cancelled
  // misc
  audio: null,
  sound: localStorage.getItem(LS_SOUND) !== '0',
};
