// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.28;

import {BatchInbox} from "./BatchInbox.sol";
import {Bridge} from "./Bridge.sol";
import {OutputOracle} from "./OutputOracle.sol";

/// @title DisputeGameFactory
/// @notice Interactive bisection games over the outputs of the OutputOracle (the fault proof of
///         Arbitrum classic and the OP Stack, with one bisection per move and an enshrined
///         one-block executor instead of a one-instruction VM step).
///
///         Anyone may `challenge` a live, non-final output k with `challengerBond` wei and its
///         own output root for the same block. The game starts from the agreed anchor
///         `lo = l2BlockNumber(k-1)` with `loRoot = outputRoot(k-1)` (for k = 0: block 0 and
///         the oracle's `genesisOutputRoot`) and the disputed claim `hi = l2BlockNumber(k)` with
///         `hiRoot = outputRoot(k)`, made by the PROPOSER side (the output's proposer or a
///         `defender`). The output is marked challenged in the oracle, so neither it nor any
///         later output is final while the game runs.
///
///         The two sides `move` alternately, the PROPOSER side first. A move first answers the
///         opponent's pending midpoint root, if any: agreeing makes it the new `lo`/`loRoot`,
///         disagreeing makes it the new `hi`/`hiRoot` (claimed by the opponent). Then, while
///         `hi - lo > 1`, it posts the mover's own output root at `mid = (lo + hi) / 2` as the new
///         pending midpoint. A range of n blocks needs at most ceil(log2(n)) + 1 moves. Each side
///         has a chess clock of `clockSeconds` in total for its moves; a side whose clock runs
///         out loses (`timeout`).
///
///         Once `hi - lo == 1` (and no midpoint is pending), anyone may `proveBlock`: the
///         preimage of `loRoot`, the header of block `lo`, the batch holding block `hi`
///         (calldata batches: checked against the BatchInbox commitment here; blob batches: the
///         blobs themselves, which the precompile checks against the commitment to their
///         versioned hashes), the chain's protocol parameters (`rollupConfig`), the header of its L1 origin (checked
///         with `blockhash`), the deposits of that L1 block (checked against the Bridge's
///         running deposit hash and deposit blocks) and the state witness go to the EXECUTE
///         precompile, which re-executes block `hi` statelessly and returns its output root.
///         If it equals `hiRoot` the side that claimed `hiRoot` wins, otherwise the other side.
///
///         Resolution: if the CHALLENGER side wins, output k and every later output are deleted
///         from the oracle (games about those later outputs are cancelled and their challengers
///         refunded through `credit`), and the challenger gets its bond back plus the
///         proposer's bond of output k. If the PROPOSER side wins, output k is unmarked and the
///         challenger's bond goes to the output's proposer.
///
///         Payments are pushed with a bounded amount of gas (`PAYOUT_GAS`); if that call fails
///         the amount is credited to the recipient instead, who withdraws it with
///         `claimCredit`, so a recipient that rejects ETH cannot block a resolution.
contract DisputeGameFactory {
    /// @notice A side of a game (numbering used by the events: 1 proposer, 2 challenger).
    enum Side {
        None,
        Proposer,
        Challenger
    }

    /// @notice The state of a game; the two "won" values equal the winning `Side`.
    enum GameStatus {
        InProgress,
        ProposerWon,
        ChallengerWon,
        // The output was deleted by another game (about an earlier output) first.
        Cancelled
    }

    /// @notice One dispute game.
    struct Game {
        // The disputed output in the OutputOracle.
        uint256 outputIndex;
        // Who opened the game (the only account of the CHALLENGER side).
        address challenger;
        // Agreed L2 block: both sides agree on `loRoot` at `lo`.
        uint64 lo;
        // Disputed L2 block: `hiClaimant` claims `hiRoot` at `hi`, the other side disputes it.
        uint64 hi;
        bytes32 loRoot;
        bytes32 hiRoot;
        Side hiClaimant;
        // The challenger's output root at the output's block (informative).
        bytes32 counterRoot;
        // The midpoint root posted by the side that moved last, awaiting the other side.
        uint64 pendingBlock;
        bytes32 pendingRoot;
        bool hasPending;
        // The side to move (its clock runs).
        Side turn;
        // Seconds used by each side's moves so far.
        uint64 proposerClock;
        uint64 challengerClock;
        // L1 timestamp of the challenge or the last move.
        uint64 lastMoveAt;
        GameStatus status;
    }

    /// @notice One move of a game, as recorded on-chain.
    struct Move {
        Side side;
        // Whether the mover agreed with the pending midpoint (false if there was none).
        bool agreed;
        // The range after the mover's answer to the pending midpoint.
        uint64 lo;
        uint64 hi;
        // The midpoint the mover posted a root at (0 and zero root if the bisection is over).
        uint64 midBlock;
        bytes32 midRoot;
        // L1 timestamp of the move.
        uint64 timestamp;
    }

    /// @notice An L1 -> L2 deposit as emitted by `Bridge.TransactionDeposited`.
    struct Deposit {
        address from;
        address to;
        uint256 index;
        uint256 mint;
        uint256 value;
        uint64 gasLimit;
        bytes data;
    }

    /// @notice One L1 block as the proof supplies it: its RLP header and every deposit made in
    ///         it, as the canonical `abi.encode(Deposit[])`.
    struct L1BlockData {
        uint64 number;
        bytes header;
        bytes deposits;
    }

    /// @notice Emitted when a game is opened.
    event GameCreated(
        uint256 indexed gameId,
        uint256 indexed outputIndex,
        address indexed challenger,
        uint64 lo,
        uint64 hi,
        bytes32 loRoot,
        bytes32 proposerRoot,
        bytes32 counterRoot
    );
    /// @notice Emitted for every move; `side` is 1 (proposer) or 2 (challenger), `lo`/`hi` the
    ///         range after the answer, `midBlock`/`midRoot` the posted midpoint (0 if none) and
    ///         `clockUsed` the mover's total seconds used.
    event Moved(
        uint256 indexed gameId,
        uint8 side,
        bool agreed,
        uint64 lo,
        uint64 hi,
        uint64 midBlock,
        bytes32 midRoot,
        uint64 clockUsed
    );
    /// @notice Emitted when the EXECUTE precompile returned `outputRoot` for the disputed block.
    event BlockProven(uint256 indexed gameId, uint64 block, bytes32 outputRoot);
    /// @notice Emitted when a game ends; `winner` is 1 (proposer) or 2 (challenger), `reason`
    ///         is "proof" or "clock".
    event GameResolved(uint256 indexed gameId, uint8 winner, string reason);
    /// @notice Emitted when a game ends without a winner because its output was deleted by the
    ///         game about an earlier output; the challenger's bond is credited back.
    event GameCancelled(uint256 indexed gameId, uint256 indexed outputIndex);
    /// @notice Emitted when the owner adds or removes a defender.
    event DefenderSet(address indexed defender, bool allowed);
    /// @notice Emitted once, when the owner sets the Bridge.
    event BridgeSet(address indexed bridge);
    /// @notice Emitted when a payment could not be pushed and was credited instead.
    event PaymentCredited(address indexed to, uint256 amount);
    /// @notice Emitted when credited wei is withdrawn.
    event CreditClaimed(address indexed to, uint256 amount);

    /// @notice The caller may not do this.
    error Unauthorized();
    /// @notice The caller belongs to the side that is not to move.
    error NotYourTurn();
    /// @notice `msg.value` is not exactly the challenger bond.
    error WrongBond();
    /// @notice There is no live output at that index.
    error OutputNotFound();
    /// @notice The output is final and can no longer be challenged.
    error OutputAlreadyFinal();
    /// @notice A game about that output is in progress.
    error AlreadyChallenged();
    /// @notice The counter root equals the proposed output root.
    error SameRoot();
    /// @notice Output 0 cannot be challenged before the oracle's genesis output root is set.
    error GenesisNotSet();
    /// @notice There is no game with that id.
    error GameNotFound();
    /// @notice The game is over.
    error GameNotInProgress();
    /// @notice The bisection is over (`hi - lo == 1`, nothing pending): prove the block instead.
    error BisectionDone();
    /// @notice The bisection is not over yet (`hi - lo > 1` or a midpoint is pending).
    error BisectionNotDone();
    /// @notice The mover's clock would exceed `clockSeconds`.
    error ClockExpired();
    /// @notice The clock of the side to move has not run out.
    error ClockNotExpired();
    /// @notice The preimage does not hash to the agreed output root `loRoot`.
    error BadPreimage();
    /// @notice The parent header does not hash to the agreed block hash.
    error BadParentHeader();
    /// @notice The batch does not exist, does not hold block `hi`, is a blob batch, or its data
    ///         does not match the commitment.
    error BadBatch();
    /// @notice An L1 header does not hash to `blockhash(number)` (only the last 256 L1 blocks
    ///         are available), or the L1 block list is not canonically encoded.
    error BadL1Origin();
    /// @notice The deposits are malformed, do not match the Bridge's running hash, are not all
    ///         from that L1 block, or are not all the deposits of that block.
    error BadDeposits();
    /// @notice The EXECUTE precompile failed or did not return 32 bytes.
    error ExecutionFailed();
    /// @notice The Bridge is not set yet.
    error BridgeNotSet();
    /// @notice The Bridge can only be set once.
    error BridgeAlreadySet();
    /// @notice The zero address is not allowed here.
    error ZeroAddress();
    /// @notice Sending wei failed.
    error BondTransferFailed();
    /// @notice The caller has no credit to claim.
    error NoCredit();
    /// @notice There is no move with that index in the game.
    error MoveNotFound();

    /// @notice The L1 EXECUTE precompile: input `abi.encode(uint64 blockNumber,
    ///         BatchInbox.Batch batch, bytes parentHeader, bytes batchData, bytes l1Blocks, bytes
    ///         witness, bytes rollupConfig)` (the batch's record: commitment, L1 block, L2 range,
    ///         isBlob), output `abi.encode(bytes32 outputRoot)`.
    address public constant EXECUTE_PRECOMPILE = address(0x0101);
    /// @notice Gas given to a pushed payment; if it fails the amount is credited instead.
    uint256 public constant PAYOUT_GAS = 50_000;

    OutputOracle internal immutable _oracle;
    BatchInbox internal immutable _batchInbox;
    uint256 internal immutable _challengerBond;
    uint64 internal immutable _clockSeconds;
    address internal immutable _owner;

    /// @dev `abi.encode(ProtocolParams)` of the rollup (see `rollupConfig()`).
    bytes internal _rollupConfig;
    Bridge internal _bridge;
    mapping(address => bool) internal _defenders;
    mapping(address => uint256) internal _credit;

    Game[] internal _games;
    mapping(uint256 => Move[]) internal _moves;
    /// @dev Output index => id + 1 of the game in progress about it (0 = none).
    mapping(uint256 => uint256) internal _activeGamePlusOne;

    /// @param outputOracle The OutputOracle whose outputs are disputed (the owner must register
    ///        this contract there with `setDisputeGameFactory`).
    /// @param batchInbox The BatchInbox holding the batches.
    /// @param challengerBond Wei a challenger must post.
    /// @param clockSeconds Seconds each side may use for its moves in total.
    /// @param owner The account allowed to manage defenders and set the Bridge.
    /// @param rollupConfig The rollup's protocol parameters, `abi.encode(uint64 l1ChainId,
    ///        uint64 l2ChainId, uint64 l2BlockGasLimit, uint64 maxSequencerDrift, uint64
    ///        sequencingWindow, uint64 baseFeeScalar, uint64 blobBaseFeeScalar)`, passed to
    ///        EXECUTE with every proof (the rules a block is re-executed under).
    constructor(
        address outputOracle,
        address batchInbox,
        uint256 challengerBond,
        uint64 clockSeconds,
        address owner,
        bytes memory rollupConfig
    ) {
        _oracle = OutputOracle(outputOracle);
        _batchInbox = BatchInbox(batchInbox);
        _challengerBond = challengerBond;
        _clockSeconds = clockSeconds;
        _owner = owner;
        _rollupConfig = rollupConfig;
    }

    /// @notice Accepts the bonds slashed by the OutputOracle only.
    receive() external payable {
        if (msg.sender != address(_oracle)) revert Unauthorized();
    }

    // ---------------------------------------------------------------- configuration

    /// @notice The OutputOracle whose outputs are disputed.
    function outputOracle() external view returns (address) {
        return address(_oracle);
    }

    /// @notice The BatchInbox the batches are checked against.
    function batchInbox() external view returns (address) {
        return address(_batchInbox);
    }

    /// @notice Wei a challenger must post.
    function challengerBond() external view returns (uint256) {
        return _challengerBond;
    }

    /// @notice Seconds each side may use for its moves in total.
    function clockSeconds() external view returns (uint64) {
        return _clockSeconds;
    }

    /// @notice The account allowed to manage defenders and set the Bridge.
    function owner() external view returns (address) {
        return _owner;
    }

    /// @notice The rollup's protocol parameters that every proof is executed under (see the
    ///         constructor); verifiers compare them with their own before playing.
    function rollupConfig() external view returns (bytes memory) {
        return _rollupConfig;
    }

    /// @notice The Bridge whose deposits `proveBlock` checks (zero until the owner sets it).
    function bridge() external view returns (address) {
        return address(_bridge);
    }

    /// @notice Whether `account` may move for the PROPOSER side (besides the output's proposer).
    function isDefender(address account) external view returns (bool) {
        return _defenders[account];
    }

    /// @notice Wei owed to `account` (a pushed payment that failed, or a cancelled game's bond),
    ///         withdrawn with `claimCredit`.
    function credit(address account) external view returns (uint256) {
        return _credit[account];
    }

    /// @notice Allows or disallows `defender` to move for the PROPOSER side; only the owner.
    function setDefender(address defender, bool allowed) external {
        if (msg.sender != _owner) revert Unauthorized();
        _defenders[defender] = allowed;
        emit DefenderSet(defender, allowed);
    }

    /// @notice Sets the Bridge; only the owner, only once.
    function setBridge(address newBridge) external {
        if (msg.sender != _owner) revert Unauthorized();
        if (address(_bridge) != address(0)) revert BridgeAlreadySet();
        if (newBridge == address(0)) revert ZeroAddress();
        _bridge = Bridge(payable(newBridge));
        emit BridgeSet(newBridge);
    }

    // ---------------------------------------------------------------- views

    /// @notice Number of games ever opened (the id of the next one).
    function gameCount() external view returns (uint256) {
        return _games.length;
    }

    /// @notice The game `gameId`.
    function getGame(uint256 gameId) external view returns (Game memory) {
        if (gameId >= _games.length) revert GameNotFound();
        return _games[gameId];
    }

    /// @notice Whether a game about output `outputIndex` is in progress, and its id.
    function activeGame(uint256 outputIndex) external view returns (bool active, uint256 gameId) {
        uint256 plusOne = _activeGamePlusOne[outputIndex];
        if (plusOne == 0) return (false, 0);
        return (true, plusOne - 1);
    }

    /// @notice Number of moves made in game `gameId`.
    function moveCount(uint256 gameId) external view returns (uint256) {
        if (gameId >= _games.length) revert GameNotFound();
        return _moves[gameId].length;
    }

    /// @notice Move `i` of game `gameId`.
    function getMove(uint256 gameId, uint256 i) external view returns (Move memory) {
        if (gameId >= _games.length) revert GameNotFound();
        if (i >= _moves[gameId].length) revert MoveNotFound();
        return _moves[gameId][i];
    }

    /// @notice The hash `d` a deposit contributes to the Bridge's running deposit hash:
    ///         `keccak256(abi.encode(from, to, index, mint, value, gasLimit, data))`.
    function hashDeposit(Deposit calldata d) external pure returns (bytes32) {
        return keccak256(abi.encode(d.from, d.to, d.index, d.mint, d.value, d.gasLimit, d.data));
    }

    // ---------------------------------------------------------------- the game

    /// @notice Opens a game about output `outputIndex`, claiming `counterRoot` for its block.
    ///         Requires `msg.value == challengerBond()`.
    function challenge(uint256 outputIndex, bytes32 counterRoot) external payable returns (uint256 gameId) {
        if (msg.value != _challengerBond) revert WrongBond();
        if (outputIndex >= _oracle.outputCount()) revert OutputNotFound();
        if (_activeGamePlusOne[outputIndex] != 0) revert AlreadyChallenged();
        if (_oracle.isFinal(outputIndex)) revert OutputAlreadyFinal();
        OutputOracle.Output memory output = _oracle.getOutput(outputIndex);
        if (counterRoot == output.outputRoot) revert SameRoot();

        uint64 lo;
        bytes32 loRoot;
        if (outputIndex == 0) {
            loRoot = _oracle.genesisOutputRoot();
            if (loRoot == bytes32(0)) revert GenesisNotSet();
        } else {
            OutputOracle.Output memory prev = _oracle.getOutput(outputIndex - 1);
            lo = prev.l2BlockNumber;
            loRoot = prev.outputRoot;
        }

        gameId = _games.length;
        _games.push(
            Game({
                outputIndex: outputIndex,
                challenger: msg.sender,
                lo: lo,
                hi: output.l2BlockNumber,
                loRoot: loRoot,
                hiRoot: output.outputRoot,
                hiClaimant: Side.Proposer,
                counterRoot: counterRoot,
                pendingBlock: 0,
                pendingRoot: bytes32(0),
                hasPending: false,
                turn: Side.Proposer,
                proposerClock: 0,
                challengerClock: 0,
                lastMoveAt: uint64(block.timestamp),
                status: GameStatus.InProgress
            })
        );
        _activeGamePlusOne[outputIndex] = gameId + 1;
        _oracle.setChallenged(outputIndex, true);
        emit GameCreated(
            gameId, outputIndex, msg.sender, lo, output.l2BlockNumber, loRoot, output.outputRoot, counterRoot
        );
    }

    /// @notice Makes the next move of game `gameId` for the side to move: answers the pending
    ///         midpoint (`agreeWithPendingMid`; ignored if none is pending), then, while
    ///         `hi - lo > 1`, posts `midRoot` as the mover's output root at `(lo + hi) / 2`
    ///         (ignored otherwise).
    function move(uint256 gameId, bool agreeWithPendingMid, bytes32 midRoot) external {
        Game storage g = _gameInProgress(gameId);
        Side mover = g.turn;
        Side opponent = _other(mover);
        if (!_mayAct(g, mover, msg.sender)) {
            if (_mayAct(g, opponent, msg.sender)) revert NotYourTurn();
            revert Unauthorized();
        }
        if (!g.hasPending && g.hi - g.lo <= 1) revert BisectionDone();
        uint64 clockUsed = _charge(g, mover);

        bool agreed = false;
        if (g.hasPending) {
            agreed = agreeWithPendingMid;
            if (agreed) {
                g.lo = g.pendingBlock;
                g.loRoot = g.pendingRoot;
            } else {
                g.hi = g.pendingBlock;
                g.hiRoot = g.pendingRoot;
                g.hiClaimant = opponent;
            }
            g.hasPending = false;
            g.pendingBlock = 0;
            g.pendingRoot = bytes32(0);
        }

        uint64 midBlock = 0;
        bytes32 posted = bytes32(0);
        if (g.hi - g.lo > 1) {
            midBlock = g.lo + (g.hi - g.lo) / 2;
            posted = midRoot;
            g.pendingBlock = midBlock;
            g.pendingRoot = posted;
            g.hasPending = true;
        }
        g.turn = opponent;

        _moves[gameId].push(
            Move({
                side: mover,
                agreed: agreed,
                lo: g.lo,
                hi: g.hi,
                midBlock: midBlock,
                midRoot: posted,
                timestamp: uint64(block.timestamp)
            })
        );
        emit Moved(gameId, uint8(mover), agreed, g.lo, g.hi, midBlock, posted, clockUsed);
    }

    /// @notice Ends the bisection of game `gameId` by re-executing block `hi` with the EXECUTE
    ///         precompile; anyone may call it once `hi - lo == 1` and no midpoint is pending.
    ///         The side whose claim matches the executed output root wins. It does not look at
    ///         the clocks: until someone calls `timeout`, the proof decides the game.
    /// @param gameId The game.
    /// @param preimage `abi.encode(bytes32 stateRoot, bytes32 withdrawalsRoot, bytes32 blockHash)`
    ///        of the agreed output root `loRoot` at block `lo`.
    /// @param parentHeader The RLP-encoded header of L2 block `lo` (hashes to `blockHash`).
    /// @param batchIndex Index in the BatchInbox of the batch holding block `hi`.
    /// @param batchData A calldata batch's data (hashes to its commitment), or a blob batch's
    ///        blobs, concatenated in order (131072 bytes each; the precompile computes their KZG
    ///        commitments and checks `keccak256` of their versioned hashes against the batch's
    ///        commitment).
    /// @param l1Blocks `abi.encode(L1BlockData[])`, canonically encoded: the L1 blocks the
    ///        derivation rules read for block `hi` (its L1 origin, and the parent's origin and
    ///        the next one when the block falls back to a deposit-only block), each with its
    ///        RLP header and every deposit made in it. `blockhash` only covers the last 256 L1
    ///        blocks, so the proof must land within 256 L1 blocks of those blocks.
    /// @param witness The state witness for the precompile (opaque here).
    function proveBlock(
        uint256 gameId,
        bytes memory preimage,
        bytes memory parentHeader,
        uint256 batchIndex,
        bytes memory batchData,
        bytes memory l1Blocks,
        bytes memory witness
    ) external {
        _prove(gameId, Proof(preimage, parentHeader, batchIndex, batchData, l1Blocks, witness));
    }

    /// @dev The arguments of `proveBlock`, kept together to stay within the stack.
    struct Proof {
        bytes preimage;
        bytes parentHeader;
        uint256 batchIndex;
        bytes batchData;
        bytes l1Blocks;
        bytes witness;
    }

    function _prove(uint256 gameId, Proof memory p) internal {
        _checkGameAndParent(gameId, p.preimage, p.parentHeader);
        BatchInbox.Batch memory batch = _checkBatch(gameId, p.batchIndex, p.batchData);
        _checkL1Blocks(p.l1Blocks);
        uint64 l2Block = _games[gameId].hi;
        bytes32 root =
            _execute(abi.encode(l2Block, batch, p.parentHeader, p.batchData, p.l1Blocks, p.witness, _rollupConfig));
        emit BlockProven(gameId, l2Block, root);
        Game storage g = _games[gameId];
        Side winner = root == g.hiRoot ? g.hiClaimant : _other(g.hiClaimant);
        _resolve(gameId, winner, "proof");
    }

    /// @notice Ends game `gameId` in favour of the side not to move once the clock of the side
    ///         to move has run out (`used + (now - lastMoveAt) > clockSeconds`); anyone may call.
    function timeout(uint256 gameId) external {
        Game storage g = _gameInProgress(gameId);
        Side side = g.turn;
        uint256 used = side == Side.Proposer ? g.proposerClock : g.challengerClock;
        if (used + (block.timestamp - g.lastMoveAt) <= _clockSeconds) revert ClockNotExpired();
        _resolve(gameId, _other(side), "clock");
    }

    /// @notice Withdraws the caller's credit.
    function claimCredit() external {
        uint256 amount = _credit[msg.sender];
        if (amount == 0) revert NoCredit();
        _credit[msg.sender] = 0;
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert BondTransferFailed();
        emit CreditClaimed(msg.sender, amount);
    }

    // ---------------------------------------------------------------- internals

    function _gameInProgress(uint256 gameId) internal view returns (Game storage g) {
        if (gameId >= _games.length) revert GameNotFound();
        g = _games[gameId];
        if (g.status != GameStatus.InProgress) revert GameNotInProgress();
    }

    function _other(Side side) internal pure returns (Side) {
        return side == Side.Proposer ? Side.Challenger : Side.Proposer;
    }

    /// @dev Whether `who` may move for `side` in `g`.
    function _mayAct(Game storage g, Side side, address who) internal view returns (bool) {
        if (side == Side.Challenger) return who == g.challenger;
        return _defenders[who] || who == _oracle.getOutput(g.outputIndex).proposer;
    }

    /// @dev Charges `side`'s clock with the time since the last move; returns its new total.
    function _charge(Game storage g, Side side) internal returns (uint64 used) {
        uint256 total = (side == Side.Proposer ? g.proposerClock : g.challengerClock)
            + (block.timestamp - g.lastMoveAt);
        if (total > _clockSeconds) revert ClockExpired();
        used = uint64(total);
        if (side == Side.Proposer) {
            g.proposerClock = used;
        } else {
            g.challengerClock = used;
        }
        g.lastMoveAt = uint64(block.timestamp);
    }

    /// @dev Checks that game `gameId` is in progress with its bisection over, the agreed output
    ///      preimage against `loRoot` and the parent header against its block hash.
    function _checkGameAndParent(uint256 gameId, bytes memory preimage, bytes memory parentHeader)
        internal
        view
    {
        Game storage g = _gameInProgress(gameId);
        if (g.hasPending || g.hi - g.lo != 1) revert BisectionNotDone();
        if (preimage.length != 96) revert BadPreimage();
        (bytes32 stateRoot, bytes32 withdrawalsRoot, bytes32 blockHash) =
            abi.decode(preimage, (bytes32, bytes32, bytes32));
        if (keccak256(abi.encode(bytes32(0), stateRoot, withdrawalsRoot, blockHash)) != g.loRoot) {
            revert BadPreimage();
        }
        if (keccak256(parentHeader) != blockHash) revert BadParentHeader();
    }

    /// @dev Checks that calldata batch `batchIndex` holds the disputed block `hi` of game
    ///      `gameId` and has this data.
    function _checkBatch(uint256 gameId, uint256 batchIndex, bytes memory batchData)
        internal
        view
        returns (BatchInbox.Batch memory batch)
    {
        uint64 l2Block = _games[gameId].hi;
        if (batchIndex >= _batchInbox.batchCount()) revert BadBatch();
        batch = _batchInbox.getBatch(batchIndex);
        if (l2Block < batch.l2Start || l2Block > batch.l2End) revert BadBatch();
        // A blob batch's blobs are checked by the precompile (KZG commitments).
        if (!batch.isBlob && keccak256(batchData) != batch.commitment) revert BadBatch();
    }

    /// @dev Checks every supplied L1 block: `encoded` must be the canonical
    ///      `abi.encode(L1BlockData[])`; each header must hash to the L1 block hash (`blockhash`
    ///      only covers the 256 most recent L1 blocks: zero otherwise, which no header hashes
    ///      to) and each deposit list must be exactly the deposits made in that block.
    function _checkL1Blocks(bytes memory encoded) internal view {
        if (encoded.length < 64) revert BadL1Origin();
        L1BlockData[] memory blocks = abi.decode(encoded, (L1BlockData[]));
        // Canonical encoding only, so the precompile decodes exactly what was checked here.
        if (keccak256(abi.encode(blocks)) != keccak256(encoded)) revert BadL1Origin();
        for (uint256 i = 0; i < blocks.length; ++i) {
            if (keccak256(blocks[i].header) != blockhash(blocks[i].number)) revert BadL1Origin();
            bytes memory encodedDeposits = blocks[i].deposits;
            if (encodedDeposits.length < 64) revert BadDeposits();
            Deposit[] memory ds = abi.decode(encodedDeposits, (Deposit[]));
            if (keccak256(abi.encode(ds)) != keccak256(encodedDeposits)) revert BadDeposits();
            _checkDeposits(ds, blocks[i].number);
        }
    }

    /// @dev Checks that `ds` are exactly the deposits made in L1 block `l1Block`, in order.
    function _checkDeposits(Deposit[] memory ds, uint64 l1Block) internal view {
        Bridge b = _bridge;
        if (address(b) == address(0)) revert BridgeNotSet();
        uint256 count = b.depositCount();

        if (ds.length == 0) {
            // No deposit may be from `l1Block`: find the first deposit at or after it.
            uint256 lo = 0;
            uint256 hi = count;
            while (lo < hi) {
                uint256 mid = (lo + hi) / 2;
                if (b.depositBlock(mid) < l1Block) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            if (lo < count && b.depositBlock(lo) == l1Block) revert BadDeposits();
            return;
        }

        uint256 first = ds[0].index;
        uint256 last = first + ds.length - 1;
        if (last >= count) revert BadDeposits();
        bytes32 h = first == 0 ? bytes32(0) : b.depositHashes(first - 1);
        for (uint256 i = 0; i < ds.length; ++i) {
            Deposit memory d = ds[i];
            if (d.index != first + i) revert BadDeposits();
            bytes32 leaf = keccak256(abi.encode(d.from, d.to, d.index, d.mint, d.value, d.gasLimit, d.data));
            h = keccak256(abi.encodePacked(h, leaf));
        }
        if (h != b.depositHashes(last)) revert BadDeposits();
        // Deposit blocks never decrease, so the end points being in `l1Block` puts every
        // deposit in between there too.
        if (b.depositBlock(first) != l1Block || b.depositBlock(last) != l1Block) revert BadDeposits();
        // Complete: the neighbours are from other L1 blocks.
        if (first != 0 && b.depositBlock(first - 1) >= l1Block) revert BadDeposits();
        if (last + 1 != count && b.depositBlock(last + 1) <= l1Block) revert BadDeposits();
    }

    /// @dev Runs the EXECUTE precompile and returns the output root it computed.
    function _execute(bytes memory input) internal view returns (bytes32 root) {
        (bool ok, bytes memory ret) = EXECUTE_PRECOMPILE.staticcall(input);
        if (!ok || ret.length != 32) revert ExecutionFailed();
        root = abi.decode(ret, (bytes32));
    }

    /// @dev Ends game `gameId` with `winner`; effects first, then the oracle and the payments.
    function _resolve(uint256 gameId, Side winner, string memory reason) internal {
        Game storage g = _games[gameId];
        uint256 outputIndex = g.outputIndex;
        address challenger = g.challenger;
        delete _activeGamePlusOne[outputIndex];

        if (winner == Side.Challenger) {
            g.status = GameStatus.ChallengerWon;
            // Every later output is deleted with this one: cancel the games about them.
            uint256 count = _oracle.outputCount();
            for (uint256 i = outputIndex + 1; i < count; ++i) {
                uint256 plusOne = _activeGamePlusOne[i];
                if (plusOne != 0) _cancel(plusOne - 1);
            }
            emit GameResolved(gameId, uint8(winner), reason);
            uint256 slashed = _oracle.bond();
            _oracle.deleteOutputs(outputIndex);
            _oracle.slashBond(outputIndex, address(this));
            _pay(challenger, _challengerBond + slashed);
        } else {
            g.status = GameStatus.ProposerWon;
            emit GameResolved(gameId, uint8(winner), reason);
            address proposer = _oracle.getOutput(outputIndex).proposer;
            _oracle.setChallenged(outputIndex, false);
            _pay(proposer, _challengerBond);
        }
    }

    /// @dev Cancels game `gameId` (its output is being deleted) and credits the challenger's
    ///      bond back.
    function _cancel(uint256 gameId) internal {
        Game storage g = _games[gameId];
        g.status = GameStatus.Cancelled;
        delete _activeGamePlusOne[g.outputIndex];
        _credit[g.challenger] += _challengerBond;
        emit GameCancelled(gameId, g.outputIndex);
    }

    /// @dev Sends `amount` to `to` with `PAYOUT_GAS` gas; credits it if that fails.
    function _pay(address to, uint256 amount) internal {
        if (amount == 0) return;
        bool ok;
        assembly ("memory-safe") {
            ok := call(PAYOUT_GAS, to, amount, 0, 0, 0, 0)
        }
        if (!ok) {
            _credit[to] += amount;
            emit PaymentCredited(to, amount);
        }
    }
}
