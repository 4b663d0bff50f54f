// Word lists the data sets draw people, places and products from. Emails use the reserved
// example.com/.org/.net domains (RFC 2606) so nothing generated can reach a real mailbox.

export const FIRST_NAMES = [
  'Olivia', 'Liam', 'Emma', 'Noah', 'Ava', 'Elijah', 'Sophia', 'Mateo', 'Isabella', 'Lucas',
  'Mia', 'Amara', 'Hiro', 'Chloe', 'Ethan', 'Zara', 'Kenji', 'Leila', 'Omar', 'Priya',
  'Sofia', 'Diego', 'Hannah', 'Jonas', 'Ines', 'Kwame', 'Freya', 'Ravi', 'Elena', 'Tomas',
] as const;

export const LAST_NAMES = [
  'Smith', 'Garcia', 'Nguyen', 'Johnson', 'Kim', 'Müller', 'Rossi', 'Okafor', 'Silva', 'Patel',
  'Brown', 'Tanaka', 'Dubois', 'Kowalski', 'Hansen', 'Lopez', 'Ahmed', 'Novak', 'Jensen', 'Costa',
  'Murphy', 'Chen', 'Ivanova', 'Mensah', 'Larsen', 'Moreau', 'Santos', 'Fischer', 'Bauer', 'Ali',
] as const;

export const EMAIL_DOMAINS = ['example.com', 'example.org', 'example.net'] as const;

export const CITIES = [
  { city: 'Ottawa', state: 'ON', country: 'CA', postal: 'K1P 1J1' },
  { city: 'Austin', state: 'TX', country: 'US', postal: '78701' },
  { city: 'Denver', state: 'CO', country: 'US', postal: '80202' },
  { city: 'Portland', state: 'OR', country: 'US', postal: '97205' },
  { city: 'Boston', state: 'MA', country: 'US', postal: '02110' },
  { city: 'Lyon', state: null, country: 'FR', postal: '69002' },
  { city: 'Dublin', state: null, country: 'IE', postal: 'D02' },
  { city: 'Melbourne', state: 'VIC', country: 'AU', postal: '3000' },
] as const;

export const PRODUCTS = [
  { title: 'Canvas Tote Bag', price: 24.0, sku: 'TOTE-CNV' },
  { title: 'Ceramic Mug', price: 16.5, sku: 'MUG-CER' },
  { title: 'Merino Beanie', price: 32.0, sku: 'BEAN-MER' },
  { title: 'Trail Water Bottle', price: 21.95, sku: 'BTL-TRL' },
  { title: 'Linen Apron', price: 38.0, sku: 'APR-LIN' },
  { title: 'Notebook Set', price: 12.75, sku: 'NB-SET3' },
  { title: 'Wool Socks', price: 14.0, sku: 'SOCK-WL' },
  { title: 'Enamel Pin', price: 8.5, sku: 'PIN-ENM' },
  { title: 'Cotton Hoodie', price: 58.0, sku: 'HD-CTN' },
  { title: 'Leather Wallet', price: 64.0, sku: 'WLT-LTH' },
] as const;

/** `olivia.nguyen.1234@example.org`: the index keeps every address unique. */
export function emailFor(first: string, last: string, n: number, domain: string): string {
  return `${asciiLower(first)}.${asciiLower(last)}.${n}@${domain}`;
}

// Names come from the short lists above; memoised because pages render thousands of addresses.
const asciiCache = new Map<string, string>();
function asciiLower(s: string): string {
  let v = asciiCache.get(s);
  if (v === undefined) {
    v = s.normalize('NFD').replace(/[^A-Za-z]/g, '').toLowerCase();
    asciiCache.set(s, v);
  }
  return v;
}
