// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.28;

import {BenchToken} from "./BenchToken.sol";

/// @title BenchPool
/// @notice Uniswap-V2-style constant-product pool of two ERC-20s (BenchTokens) with a 0.3% fee,
///         one of the fee benchmark's workloads. Not part of the rollup protocol.
/// @dev Simplifications against Uniswap V2: the reserves are the amounts deposited and swapped
///      through the pool (tokens sent to it directly are not counted), the liquidity shares are a
///      plain mapping without an ERC-20 or a way to withdraw, and there is no sqrt: the first
///      provider gets `amount0` shares, later providers `min(amount0 * totalShares / reserve0,
///      amount1 * totalShares / reserve1)` (both amounts are pulled in full, the excess of the
///      larger side accrues to all shareholders).
///      Swap output: `amountIn * 997 * reserveOut / (reserveIn * 1000 + amountIn * 997)`.
///      The tokens are trusted to revert or return false on failure and to have no callbacks.
contract BenchPool {
    address internal immutable _token0;
    address internal immutable _token1;
    // Packed into one slot; checked against uint128 on every update.
    uint128 internal _reserve0;
    uint128 internal _reserve1;
    uint256 internal _totalShares;
    mapping(address => uint256) internal _shares;

    event LiquidityAdded(address indexed provider, uint256 amount0, uint256 amount1, uint256 shares);
    event Swap(
        address indexed sender, address indexed tokenIn, uint256 amountIn, uint256 amountOut, address indexed to
    );

    /// @notice `token` is not one of the pool's tokens (or a constructor argument is invalid).
    error InvalidToken(address token);
    /// @notice An amount is zero.
    error ZeroAmount();
    /// @notice The deposit is too small to mint a share.
    error ZeroShares();
    /// @notice The pool has no liquidity, or the swap would output nothing (rounded down to 0).
    error InsufficientLiquidity();
    /// @notice A reserve would exceed `type(uint128).max`.
    error ReserveOverflow();
    /// @notice The swap would output `amountOut`, less than the caller's `minOut`.
    error SlippageExceeded(uint256 amountOut, uint256 minOut);
    /// @notice An ERC-20 transfer of `token` returned false.
    error TransferFailed(address token);

    /// @param token0 First token of the pair (must differ from `token1`, neither address(0)).
    /// @param token1 Second token of the pair.
    constructor(address token0, address token1) {
        if (token0 == address(0)) revert InvalidToken(token0);
        if (token1 == address(0) || token1 == token0) revert InvalidToken(token1);
        _token0 = token0;
        _token1 = token1;
    }

    function token0() external view returns (address) {
        return _token0;
    }

    function token1() external view returns (address) {
        return _token1;
    }

    /// @notice Current reserves of `token0` and `token1`.
    function getReserves() external view returns (uint256 reserve0, uint256 reserve1) {
        return (_reserve0, _reserve1);
    }

    /// @notice Total liquidity shares.
    function totalShares() external view returns (uint256) {
        return _totalShares;
    }

    /// @notice Liquidity shares of `provider`.
    function shares(address provider) external view returns (uint256) {
        return _shares[provider];
    }

    /// @notice Output of swapping `amountIn` of `tokenIn` at the current reserves.
    function getAmountOut(address tokenIn, uint256 amountIn) external view returns (uint256 amountOut) {
        (, uint256 reserveIn, uint256 reserveOut) = _sides(tokenIn);
        return _amountOut(amountIn, reserveIn, reserveOut);
    }

    /// @notice Deposits `amount0` of `token0` and `amount1` of `token1` (both pulled with
    ///         `transferFrom`, so approve the pool first) and credits liquidity shares.
    function addLiquidity(uint256 amount0, uint256 amount1) external returns (uint256 minted) {
        if (amount0 == 0 || amount1 == 0) revert ZeroAmount();
        uint256 r0 = _reserve0;
        uint256 r1 = _reserve1;
        uint256 total = _totalShares;
        if (total == 0) {
            minted = amount0;
        } else {
            uint256 s0 = amount0 * total / r0;
            uint256 s1 = amount1 * total / r1;
            minted = s0 < s1 ? s0 : s1;
        }
        if (minted == 0) revert ZeroShares();
        _setReserves(r0 + amount0, r1 + amount1);
        _totalShares = total + minted;
        _shares[msg.sender] += minted;
        _pull(_token0, amount0);
        _pull(_token1, amount1);
        emit LiquidityAdded(msg.sender, amount0, amount1, minted);
    }

    /// @notice Swaps exactly `amountIn` of `tokenIn` (pulled with `transferFrom`) for the other
    ///         token, sent to `to`; reverts with `SlippageExceeded` when the output is below
    ///         `minOut`.
    function swapExactIn(address tokenIn, uint256 amountIn, uint256 minOut, address to)
        external
        returns (uint256 amountOut)
    {
        (bool zeroForOne, uint256 reserveIn, uint256 reserveOut) = _sides(tokenIn);
        amountOut = _amountOut(amountIn, reserveIn, reserveOut);
        if (amountOut < minOut) revert SlippageExceeded(amountOut, minOut);
        if (amountOut == 0) revert InsufficientLiquidity();
        address tokenOut;
        if (zeroForOne) {
            _setReserves(reserveIn + amountIn, reserveOut - amountOut);
            tokenOut = _token1;
        } else {
            _setReserves(reserveOut - amountOut, reserveIn + amountIn);
            tokenOut = _token0;
        }
        _pull(tokenIn, amountIn);
        if (!BenchToken(tokenOut).transfer(to, amountOut)) revert TransferFailed(tokenOut);
        emit Swap(msg.sender, tokenIn, amountIn, amountOut, to);
    }

    function _sides(address tokenIn) private view returns (bool zeroForOne, uint256 reserveIn, uint256 reserveOut) {
        if (tokenIn == _token0) return (true, _reserve0, _reserve1);
        if (tokenIn == _token1) return (false, _reserve1, _reserve0);
        revert InvalidToken(tokenIn);
    }

    function _amountOut(uint256 amountIn, uint256 reserveIn, uint256 reserveOut) private pure returns (uint256) {
        if (amountIn == 0) revert ZeroAmount();
        if (reserveIn == 0 || reserveOut == 0) revert InsufficientLiquidity();
        uint256 inWithFee = amountIn * 997;
        return inWithFee * reserveOut / (reserveIn * 1000 + inWithFee);
    }

    function _setReserves(uint256 r0, uint256 r1) private {
        if (r0 > type(uint128).max || r1 > type(uint128).max) revert ReserveOverflow();
        _reserve0 = uint128(r0);
        _reserve1 = uint128(r1);
    }

    function _pull(address token, uint256 amount) private {
        if (!BenchToken(token).transferFrom(msg.sender, address(this), amount)) revert TransferFailed(token);
    }
}
